import { Push, type Reply, ReplyError } from '../src/index.js';

/** What the reference decoder made of a whole stream. */
export interface ReferenceResult {
  replies: Reply[];
  /** 'complete': every byte used; 'incomplete': the stream ends inside a reply; 'error': bad bytes. */
  ending: 'complete' | 'incomplete' | 'error';
}

/** The limits the reference decoder applies, with the real decoder's defaults. */
export interface ReferenceLimits {
  maxDepth?: number;
  maxLineLength?: number;
}

class Incomplete extends Error {}
class Invalid extends Error {}

const maxBulkLength = 512 * 1024 * 1024;
const maxAggregateLength = 2 ** 32 - 1;

/**
 * A deliberately simple RESP decoder for differential fuzzing: recursive, whole-buffer, no
 * streaming state, written from the protocol description rather than from the real decoder.
 * Attributes are skipped; pushes are kept as values.
 */
export function referenceDecode(stream: Buffer, limits: ReferenceLimits = {}): ReferenceResult {
  const replies: Reply[] = [];
  const settled = {
    maxDepth: limits.maxDepth ?? 128,
    maxLineLength: limits.maxLineLength ?? 2 ** 20,
  };
  let offset = 0;
  try {
    while (offset < stream.length) {
      const [value, next] = parseValue(stream, offset, 0, settled);
      offset = next;
      if (value !== skipped) replies.push(value);
    }
    return { replies, ending: 'complete' };
  } catch (error) {
    if (error instanceof Incomplete) return { replies, ending: 'incomplete' };
    if (error instanceof Invalid) return { replies, ending: 'error' };
    throw error;
  }
}

const skipped = Symbol('attribute');
type Parsed = [Reply | typeof skipped, number];

/** A line is everything up to CRLF; it holds no CR or LF, and at most maxLineLength bytes. */
function line(stream: Buffer, start: number, maxLineLength: number): [string, number] {
  let end = start;
  while (end < stream.length && stream[end] !== 13 && stream[end] !== 10) end++;
  if (end - start > maxLineLength) throw new Invalid();
  if (end === stream.length) throw new Incomplete();
  if (stream[end] === 10) throw new Invalid();
  if (end + 1 === stream.length) throw new Incomplete();
  if (stream[end + 1] !== 10) throw new Invalid();
  return [stream.toString('latin1', start, end), end + 2];
}

/**
 * A number line whose value may not pass `limit`. A length already over its limit is refused
 * before its end arrives: more digits could only make it larger.
 */
function integerLine(
  stream: Buffer,
  start: number,
  limit: number,
  maxLineLength: number,
): [number, number] {
  let end = start;
  if (stream[end] === 45) end++;
  while (end < stream.length && stream[end]! >= 48 && stream[end]! <= 57) end++;
  if (end - start > maxLineLength) throw new Invalid();
  if (end < stream.length && stream[end] !== 13) throw new Invalid();
  if (end + 1 >= stream.length) {
    const soFar = stream.toString('latin1', start, end);
    if (/^\d+$/.test(soFar) && Number(soFar) > limit) throw new Invalid();
  }
  const [text, next] = line(stream, start, maxLineLength);
  if (!/^-?\d+$/.test(text)) throw new Invalid();
  const value = Number(text);
  if (value > limit) throw new Invalid();
  return [value, next];
}

function parseValue(
  stream: Buffer,
  offset: number,
  depth: number,
  limits: Required<ReferenceLimits>,
): Parsed {
  const { maxDepth, maxLineLength } = limits;
  const type = String.fromCharCode(stream[offset]!);
  const start = offset + 1;
  switch (type) {
    case '+': {
      const [text, next] = line(stream, start, maxLineLength);
      return [Buffer.from(text, 'latin1').toString('utf8'), next];
    }
    case '-': {
      const [text, next] = line(stream, start, maxLineLength);
      return [new ReplyError(Buffer.from(text, 'latin1').toString('utf8')), next];
    }
    case ':': {
      const [, next] = integerLine(stream, start, Number.POSITIVE_INFINITY, maxLineLength);
      const text = stream.toString('latin1', start, next - 2);
      const big = BigInt(text);
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      return [safe ? Number(big) : big, next];
    }
    case '$':
    case '=':
    case '!': {
      const [length, bodyStart] = integerLine(stream, start, maxBulkLength, maxLineLength);
      if (length === -1 && type === '$') return [null, bodyStart];
      if (length < 0) throw new Invalid();
      if (type === '=' && length < 4) throw new Invalid();
      if (bodyStart + length + 2 > stream.length) {
        throw new Incomplete();
      }
      if (stream[bodyStart + length] !== 13 || stream[bodyStart + length + 1] !== 10)
        throw new Invalid();
      const body = Buffer.from(
        stream.subarray(type === '=' ? bodyStart + 4 : bodyStart, bodyStart + length),
      );
      return [type === '!' ? new ReplyError(body.toString()) : body, bodyStart + length + 2];
    }
    case '*':
    case '~':
    case '%':
    case '>':
    case '|': {
      const [count, next] = integerLine(stream, start, maxAggregateLength, maxLineLength);
      if (count === -1 && type === '*') return [null, next];
      if (count < 0) throw new Invalid();
      if (count > 0 && depth >= maxDepth) throw new Invalid();
      const perEntry = type === '%' || type === '|' ? 2 : 1;
      const items: Reply[] = [];
      let cursor = next;
      while (items.length < count * perEntry) {
        if (cursor >= stream.length) throw new Incomplete();
        const [item, after] = parseValue(stream, cursor, depth + 1, limits);
        cursor = after;
        if (item !== skipped) items.push(item);
      }
      if (type === '|') {
        if (cursor >= stream.length) throw new Incomplete();
        return parseValue(stream, cursor, depth, limits);
      }
      if (type === '%') {
        const map = new Map<Reply, Reply>();
        for (let index = 0; index < items.length; index += 2)
          map.set(items[index]!, items[index + 1]!);
        return [map, cursor];
      }
      return [type === '>' ? new Push(items) : items, cursor];
    }
    case '_': {
      const [text, next] = line(stream, start, maxLineLength);
      if (text !== '') throw new Invalid();
      return [null, next];
    }
    case '#': {
      const [text, next] = line(stream, start, maxLineLength);
      if (text !== 't' && text !== 'f') throw new Invalid();
      return [text === 't', next];
    }
    case ',': {
      const [text, next] = line(stream, start, maxLineLength);
      if (text === 'inf' || text === '+inf') return [Number.POSITIVE_INFINITY, next];
      if (text === '-inf') return [Number.NEGATIVE_INFINITY, next];
      if (text === 'nan') return [Number.NaN, next];
      const value = text === '' ? Number.NaN : Number(text);
      if (Number.isNaN(value)) throw new Invalid();
      return [value, next];
    }
    case '(': {
      const [text, next] = line(stream, start, maxLineLength);
      if (!/^-?\d+$/.test(text)) throw new Invalid();
      return [BigInt(text), next];
    }
    default:
      throw new Invalid();
  }
}
