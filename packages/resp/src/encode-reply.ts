import { ReplyError } from './errors.js';
import { Push, type Reply } from './reply.js';

/** ReplyValue is what `encodeReply` accepts: any decoded Reply, plus a JS Set for RESP3 sets. */
export type ReplyValue = Reply | Set<ReplyValue> | ReplyValue[] | Map<ReplyValue, ReplyValue>;

/** EncodeReplyOptions picks the protocol to answer in. */
export interface EncodeReplyOptions {
  /** 2 (default) or 3. RESP2 has no map, set, double, boolean or push: they are flattened. */
  protocol?: 2 | 3;
}

/**
 * Encodes a reply as a server would send it, for fake servers, proxies and tests. A string
 * without CR or LF becomes a simple string, other strings and Buffers bulk strings, integers
 * `:` and other numbers doubles.
 */
export function encodeReply(value: ReplyValue, options: EncodeReplyOptions = {}): Buffer {
  const parts: (string | Buffer)[] = [];
  writeReply(value, options.protocol === 3, parts);
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

function writeReply(value: ReplyValue, resp3: boolean, parts: (string | Buffer)[]): void {
  if (value === null) {
    parts.push(resp3 ? '_\r\n' : '$-1\r\n');
  } else if (typeof value === 'string') {
    if (/[\r\n]/.test(value)) writeBulk(Buffer.from(value), parts);
    else parts.push(`+${value}\r\n`);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) parts.push(`:${value}\r\n`);
    else if (resp3) parts.push(`,${doubleText(value)}\r\n`);
    else writeBulk(Buffer.from(doubleText(value)), parts);
  } else if (typeof value === 'bigint') {
    parts.push(resp3 ? `(${value}\r\n` : `:${value}\r\n`);
  } else if (typeof value === 'boolean') {
    parts.push(resp3 ? (value ? '#t\r\n' : '#f\r\n') : value ? ':1\r\n' : ':0\r\n');
  } else if (Buffer.isBuffer(value)) {
    writeBulk(value, parts);
  } else if (ReplyError.is(value)) {
    writeError(value.message, resp3, parts);
  } else if (Array.isArray(value)) {
    writeAggregate('*', value, resp3, parts);
  } else if (value instanceof Push) {
    writeAggregate(resp3 ? '>' : '*', value.values, resp3, parts);
  } else if (value instanceof Set) {
    writeAggregate(resp3 ? '~' : '*', [...value], resp3, parts);
  } else if (value instanceof Map) {
    parts.push(resp3 ? `%${value.size}\r\n` : `*${value.size * 2}\r\n`);
    for (const [key, item] of value) {
      writeReply(key, resp3, parts);
      writeReply(item, resp3, parts);
    }
  } else {
    throw new TypeError(`cannot encode ${typeof value} as a reply`);
  }
}

function writeBulk(bytes: Buffer, parts: (string | Buffer)[]): void {
  parts.push(`$${bytes.length}\r\n`, bytes, '\r\n');
}

function writeError(message: string, resp3: boolean, parts: (string | Buffer)[]): void {
  if (!/[\r\n]/.test(message)) {
    parts.push(`-${message}\r\n`);
  } else if (resp3) {
    const bytes = Buffer.from(message);
    parts.push(`!${bytes.length}\r\n`, bytes, '\r\n');
  } else {
    // RESP2 errors are one line; the server replaces newlines with spaces the same way.
    parts.push(`-${message.replace(/[\r\n]/g, ' ')}\r\n`);
  }
}

function writeAggregate(
  type: string,
  items: readonly ReplyValue[],
  resp3: boolean,
  parts: (string | Buffer)[],
): void {
  parts.push(`${type}${items.length}\r\n`);
  for (const item of items) writeReply(item, resp3, parts);
}

function doubleText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return String(value);
}
