import type { Reply } from '@x/resp';
import { NilError, ReplyTypeError } from './errors.js';
import { type Helper, helper } from './helper.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The text of a bulk or simple string reply, or undefined for other types. */
function textOf(reply: Reply): string | undefined {
  if (Buffer.isBuffer(reply)) return reply.toString();
  return typeof reply === 'string' ? reply : undefined;
}

/** Converts to a JS number holding an integer; rejects values outside the safe range. */
export function toInt(reply: Reply, name = 'int'): number {
  if (reply === null) throw new NilError(name);
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  if (typeof reply === 'bigint') return safe(reply, name);
  const text = textOf(reply);
  if (text !== undefined && /^-?\d+$/.test(text)) return safe(BigInt(text), name);
  throw new ReplyTypeError(name, 'an integer', reply);
}

function safe(value: bigint, name: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ReplyTypeError(name, 'an integer within the safe range (use int64)', value);
  }
  return Number(value);
}

/** Converts to a bigint within the signed 64-bit range. */
export function toInt64(reply: Reply, name = 'int64', min = INT64_MIN, max = INT64_MAX): bigint {
  if (reply === null) throw new NilError(name);
  let value: bigint | undefined;
  if (typeof reply === 'number' && Number.isInteger(reply)) value = BigInt(reply);
  else if (typeof reply === 'bigint') value = reply;
  else {
    const text = textOf(reply);
    if (text !== undefined && /^-?\d+$/.test(text)) value = BigInt(text);
  }
  if (value === undefined) throw new ReplyTypeError(name, 'an integer', reply);
  if (value < min || value > max)
    throw new ReplyTypeError(name, `an integer from ${min} to ${max}`, reply);
  return value;
}

/** Converts to a bigint from 0 to 2^64 - 1. */
export function toUint64(reply: Reply, name = 'uint64'): bigint {
  return toInt64(reply, name, 0n, UINT64_MAX);
}

/** Converts to a number: integers, doubles, and numeric text including inf, -inf and nan. */
export function toFloat(reply: Reply, name = 'float'): number {
  if (reply === null) throw new NilError(name);
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'bigint') return Number(reply);
  const text = textOf(reply);
  if (text !== undefined) {
    const value = parseFloatText(text);
    if (value !== undefined) return value;
  }
  throw new ReplyTypeError(name, 'a number', reply);
}

function parseFloatText(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  if (text.trim() === '' || text !== text.trim()) return undefined;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** Converts a bulk or simple string (or a number, for RESP3 doubles) to text. */
export function toText(reply: Reply, name = 'string'): string {
  if (reply === null) throw new NilError(name);
  const text = textOf(reply);
  if (text !== undefined) return text;
  if (typeof reply === 'number' || typeof reply === 'bigint') return String(reply);
  throw new ReplyTypeError(name, 'a string', reply);
}

/** Converts a bulk or simple string to bytes. */
export function toBytes(reply: Reply, name = 'bytes'): Buffer {
  if (reply === null) throw new NilError(name);
  if (Buffer.isBuffer(reply)) return reply;
  if (typeof reply === 'string') return Buffer.from(reply);
  throw new ReplyTypeError(name, 'a string', reply);
}

// Go's strconv.ParseBool, which Redigo uses for bulk strings.
const trueTexts = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseTexts = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Converts an integer (non-zero is true), a RESP3 boolean, or a bulk string as Go's ParseBool. */
export function toBool(reply: Reply, name = 'bool'): boolean {
  if (reply === null) throw new NilError(name);
  if (typeof reply === 'boolean') return reply;
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply !== 0;
  if (typeof reply === 'bigint') return reply !== 0n;
  const text = textOf(reply);
  if (text !== undefined && trueTexts.has(text)) return true;
  if (text !== undefined && falseTexts.has(text)) return false;
  throw new ReplyTypeError(name, 'a boolean', reply);
}

/** int converts a reply to a safe integer number: `await int(conn.do('INCR', 'k'))`. */
export const int = helper((reply) => toInt(reply));
/** int64 converts a reply to a bigint within the signed 64-bit range. */
export const int64 = helper((reply) => toInt64(reply));
/** uint64 converts a reply to a bigint from 0 to 2^64 - 1; negative values are errors. */
export const uint64 = helper((reply) => toUint64(reply));
/** float converts a reply to a number (integers, doubles, numeric text, inf, nan). */
export const float = helper((reply) => toFloat(reply));
/** string converts a bulk or simple string reply to text (UTF-8). */
export const string = helper((reply) => toText(reply));
// Typed by hand: the inferred `Buffer<ArrayBufferLike>` does not compile for users of an
// older @types/node 20.x (20.11 has no generic Buffer).
/** bytes converts a bulk or simple string reply to a Buffer. */
export const bytes: Helper<Buffer> = helper((reply) => toBytes(reply));
/** bool converts an integer, RESP3 boolean or "1"/"true"-style text to a boolean. */
export const bool = helper((reply) => toBool(reply));
