import { Push, type Reply, ReplyError } from '../src/index.js';

/** What the reference decoder made of a whole stream. */
export interface ReferenceResult {
  replies: Reply[];
  /** 'complete': every byte used; 'incomplete': the stream ends inside a reply; 'error': bad bytes. */
  ending: 'complete' | 'incomplete' | 'error';
  /** For 'error', the ProtocolError's message, with the offset of the first bad byte; else null. */
  error: string | null;
}

/** The limits the reference decoder applies, with the real decoder's defaults. */
export interface ReferenceLimits {
  maxDepth?: number;
  maxLineLength?: number;
  maxBulkLength?: number;
  maxAggregateLength?: number;
}

class Incomplete extends Error {}
class Invalid extends Error {
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
  }
}

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
    maxBulkLength: limits.maxBulkLength ?? 512 * 1024 * 1024,
    maxAggregateLength: limits.maxAggregateLength ?? 2 ** 32 - 1,
  };
  let offset = 0;
  try {
    while (offset < stream.length) {
      const [value, next] = parseValue(stream, offset, 0, settled);
      offset = next;
      if (value !== skipped) replies.push(value);
    }
    return { replies, ending: 'complete', error: null };
  } catch (error) {
    if (error instanceof Incomplete) return { replies, ending: 'incomplete', error: null };
    if (error instanceof Invalid) return { replies, ending: 'error', error: error.message };
    throw error;
  }
}

const skipped = Symbol('attribute');
type Parsed = [Reply | typeof skipped, number];

/** A line is everything up to CRLF; it holds no CR or LF, and at most maxLineLength bytes. */
function line(stream: Buffer, start: number, maxLineLength: number): [string, number] {
  let end = start;
  while (end < stream.length && stream[end] !== 13 && stream[end] !== 10) end++;
  if (end - start > maxLineLength)
    throw new Invalid(`line longer than maxLineLength (${maxLineLength})`, start - 1);
  if (end === stream.length) throw new Incomplete();
  if (stream[end] === 10) throw new Invalid('bare LF where CRLF ends a line', end);
  if (end + 1 === stream.length) throw new Incomplete();
  if (stream[end + 1] !== 10) throw new Invalid('missing LF after CR', end + 1);
  return [stream.toString('latin1', start, end), end + 2];
}

/** The largest value a number line may hold, and what passing it is called. */
interface NumberLimit {
  max: number;
  failure: string;
}

const noLimit: NumberLimit = { max: Number.POSITIVE_INFINITY, failure: '' };

/**
 * A number line, `[-]digits`, read one byte at a time; the first byte that breaks a rule names
 * the failure. A length past its limit fails at the digit that takes it there, before that
 * digit is counted against maxLineLength: more digits could only make it larger.
 */
function integerLine(
  stream: Buffer,
  start: number,
  limit: NumberLimit,
  maxLineLength: number,
): [number, number] {
  const type = start - 1;
  // Summed digit by digit as doubles: the value a message shows past 2^53 is the real decoder's.
  let value = 0;
  let digits = 0;
  let negative = false;
  let index = start;
  for (; stream[index] !== 13; index++) {
    if (index === stream.length) throw new Incomplete();
    const byte = stream[index]!;
    if (byte >= 48 && byte <= 57) {
      value = value * 10 + (byte - 48);
      digits++;
      if (!negative && value > limit.max) throw new Invalid(limit.failure, type);
    } else if (byte === 45 && index === start) {
      negative = true;
    } else if (byte === 63 && index === start) {
      throw new Invalid('streamed strings and aggregates are not supported', type);
    } else if (byte === 10) {
      throw new Invalid('bare LF where CRLF ends a line', index);
    } else {
      throw new Invalid('invalid digit in number', index);
    }
    if (index - start + 1 > maxLineLength)
      throw new Invalid(`line longer than maxLineLength (${maxLineLength})`, type);
  }
  if (index + 1 === stream.length) throw new Incomplete();
  if (digits === 0) throw new Invalid('empty number', start);
  if (stream[index + 1] !== 10) throw new Invalid('missing LF after CR', index + 1);
  return [negative ? 0 - value : value, index + 2];
}

function parseValue(
  stream: Buffer,
  offset: number,
  depth: number,
  limits: Required<ReferenceLimits>,
): Parsed {
  const { maxDepth, maxLineLength } = limits;
  const bulkLimit = {
    max: limits.maxBulkLength,
    failure: `bulk length over maxBulkLength (${limits.maxBulkLength})`,
  };
  const countLimit = {
    max: limits.maxAggregateLength,
    failure: `count over maxAggregateLength (${limits.maxAggregateLength})`,
  };
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
      const [, next] = integerLine(stream, start, noLimit, maxLineLength);
      const text = stream.toString('latin1', start, next - 2);
      const big = BigInt(text);
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      return [safe ? Number(big) : big, next];
    }
    case '$':
    case '=':
    case '!': {
      const [length, bodyStart] = integerLine(stream, start, bulkLimit, maxLineLength);
      if (length === -1 && type === '$') return [null, bodyStart];
      if (length < 0) throw new Invalid(`invalid length ${length}`, offset);
      if (type === '=' && length < 4) throw new Invalid('verbatim string without format', offset);
      // The body is followed by CRLF: a byte there that is not CR is an error at once.
      const end = bodyStart + length;
      if (end < stream.length && stream[end] !== 13)
        throw new Invalid('missing CRLF after bulk', end);
      if (end + 2 > stream.length) throw new Incomplete();
      if (stream[end + 1] !== 10) throw new Invalid('missing CRLF after bulk', end);
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
      const [count, next] = integerLine(stream, start, countLimit, maxLineLength);
      if (count === -1 && type === '*') return [null, next];
      if (count < 0) throw new Invalid(`invalid count ${count}`, offset);
      if (count > 0 && depth >= maxDepth) throw new Invalid('nesting deeper than maxDepth', offset);
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
      if (text !== '') throw new Invalid('invalid null', offset);
      return [null, next];
    }
    case '#': {
      const [text, next] = line(stream, start, maxLineLength);
      if (text !== 't' && text !== 'f') throw new Invalid('invalid boolean', offset);
      return [text === 't', next];
    }
    case ',': {
      const [text, next] = line(stream, start, maxLineLength);
      if (text === 'inf' || text === '+inf') return [Number.POSITIVE_INFINITY, next];
      if (text === '-inf') return [Number.NEGATIVE_INFINITY, next];
      if (text === 'nan') return [Number.NaN, next];
      const value = text === '' ? Number.NaN : Number(text);
      if (Number.isNaN(value)) throw new Invalid('invalid double', offset);
      return [value, next];
    }
    case '(': {
      const [text, next] = line(stream, start, maxLineLength);
      if (!/^-?\d+$/.test(text)) throw new Invalid('invalid big number', offset);
      return [BigInt(text), next];
    }
    default:
      throw new Invalid(`unexpected type byte 0x${stream[offset]!.toString(16)}`, offset);
  }
}
