import { Push, type Reply, ReplyError } from '../src/index.js';

/** What the reference decoder made of a whole stream. */
export interface ReferenceResult {
  replies: Reply[];
  /** 'complete': every byte used; 'incomplete': the stream ends inside a reply; 'error': bad bytes. */
  ending: 'complete' | 'incomplete' | 'error';
}

class Incomplete extends Error {}
class Invalid extends Error {}

/**
 * A deliberately simple RESP decoder for differential fuzzing: recursive, whole-buffer, no
 * streaming state, written from the protocol description rather than from the real decoder.
 * Attributes are skipped; pushes are kept as values.
 */
export function referenceDecode(stream: Buffer, maxDepth = 128): ReferenceResult {
  const replies: Reply[] = [];
  let offset = 0;
  try {
    while (offset < stream.length) {
      const [value, next] = parseValue(stream, offset, 0, maxDepth);
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

function line(stream: Buffer, start: number): [string, number] {
  const cr = stream.indexOf(13, start);
  if (cr === -1 || cr + 1 >= stream.length) {
    // A header without digits' end may still be invalid already: digits are checked by callers.
    throw new Incomplete();
  }
  if (stream[cr + 1] !== 10) throw new Invalid();
  return [stream.toString('latin1', start, cr), cr + 2];
}

function integerLine(stream: Buffer, start: number): [number, number] {
  let end = start;
  if (stream[end] === 45) end++;
  while (end < stream.length && stream[end]! >= 48 && stream[end]! <= 57) end++;
  if (end < stream.length && stream[end] !== 13) throw new Invalid();
  // The real decoder refuses to wait for a number longer than any RESP length can be.
  if (end + 1 >= stream.length && end - start > 24) throw new Invalid();
  const [text, next] = line(stream, start);
  if (!/^-?\d+$/.test(text)) throw new Invalid();
  return [Number(text), next];
}

function parseValue(stream: Buffer, offset: number, depth: number, maxDepth: number): Parsed {
  const type = String.fromCharCode(stream[offset]!);
  const start = offset + 1;
  switch (type) {
    case '+': {
      const [text, next] = line(stream, start);
      return [Buffer.from(text, 'latin1').toString('utf8'), next];
    }
    case '-': {
      const [text, next] = line(stream, start);
      return [new ReplyError(Buffer.from(text, 'latin1').toString('utf8')), next];
    }
    case ':': {
      const [, next] = integerLine(stream, start);
      const text = stream.toString('latin1', start, next - 2);
      const big = BigInt(text);
      const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
      return [safe ? Number(big) : big, next];
    }
    case '$':
    case '=':
    case '!': {
      const [length, bodyStart] = integerLine(stream, start);
      if (length === -1 && type === '$') return [null, bodyStart];
      if (length < 0 || length > 512 * 1024 * 1024) throw new Invalid();
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
      const [count, next] = integerLine(stream, start);
      if (count === -1 && type === '*') return [null, next];
      if (count < 0 || count > 2 ** 32 - 1) throw new Invalid();
      if (count > 0 && depth >= maxDepth) throw new Invalid();
      const perEntry = type === '%' || type === '|' ? 2 : 1;
      const items: Reply[] = [];
      let cursor = next;
      while (items.length < count * perEntry) {
        if (cursor >= stream.length) throw new Incomplete();
        const [item, after] = parseValue(stream, cursor, depth + 1, maxDepth);
        cursor = after;
        if (item !== skipped) items.push(item);
      }
      if (type === '|') {
        if (cursor >= stream.length) throw new Incomplete();
        return parseValue(stream, cursor, depth, maxDepth);
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
      const [text, next] = line(stream, start);
      if (text !== '') throw new Invalid();
      return [null, next];
    }
    case '#': {
      const [text, next] = line(stream, start);
      if (text !== 't' && text !== 'f') throw new Invalid();
      return [text === 't', next];
    }
    case ',': {
      const [text, next] = line(stream, start);
      if (text === 'inf' || text === '+inf') return [Number.POSITIVE_INFINITY, next];
      if (text === '-inf') return [Number.NEGATIVE_INFINITY, next];
      if (text === 'nan') return [Number.NaN, next];
      const value = text === '' ? Number.NaN : Number(text);
      if (Number.isNaN(value)) throw new Invalid();
      return [value, next];
    }
    case '(': {
      const [text, next] = line(stream, start);
      if (!/^-?\d+$/.test(text)) throw new Invalid();
      return [BigInt(text), next];
    }
    default:
      throw new Invalid();
  }
}
