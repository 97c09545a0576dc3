import { StringDecoder } from 'node:string_decoder';
import { ProtocolError, ReplyError } from './errors.js';
import { Push, type Reply } from './reply.js';

/** DecoderOptions configures a Decoder; every limit guards against a hostile or broken peer. */
export interface DecoderOptions {
  /** Called with each complete top-level reply, in stream order. */
  onReply: (reply: Reply) => void;
  /** Called with each top-level RESP3 push frame. Without it, pushes go to `onReply`. */
  onPush?: (push: Push) => void;
  /** Called with each RESP3 attribute map; the value it annotates is decoded as usual. */
  onAttribute?: (attributes: Map<Reply, Reply>) => void;
  /** `'buffer'` (default) yields bulk strings as Buffers; `'string'` decodes them as UTF-8. */
  bulkStringsAs?: 'buffer' | 'string';
  /** Longest bulk string accepted, in bytes. Default 512 MiB, as the server's proto-max-bulk-len. */
  maxBulkLength?: number;
  /** Most elements accepted in one array, set, map or push. Default 2^32 - 1. */
  maxAggregateLength?: number;
  /** Deepest nesting of aggregates accepted. Default 128. */
  maxDepth?: number;
  /** Longest header or simple string line accepted, in bytes. Default 1 MiB. */
  maxLineLength?: number;
}

const CR = 13;
const LF = 10;
// Bulk strings shorter than this are copied out of the socket chunk so that a small value
// does not keep a large chunk alive; longer ones are views when they fill most of it.
const COPY_BELOW = 4096;
const COPY_BY_LOOP_BELOW = 64;

const FrameKind = { Array: 0, Map: 1, Push: 2, Attribute: 3 } as const;
type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

interface Frame {
  kind: FrameKind;
  items: Reply[];
  remaining: number;
}

/**
 * Decoder turns a stream of RESP2/RESP3 bytes, split at any point, into replies. Partial input
 * is kept (an unfinished line, the parts of a large bulk string, the open aggregates) so each
 * byte is parsed once. After a ProtocolError the decoder refuses further input.
 */
export class Decoder {
  private readonly onReply: (reply: Reply) => void;
  private readonly onPush: ((push: Push) => void) | undefined;
  private readonly onAttribute: ((attributes: Map<Reply, Reply>) => void) | undefined;
  private readonly bulkAsString: boolean;
  private readonly maxBulkLength: number;
  private readonly maxAggregateLength: number;
  private readonly maxDepth: number;
  private readonly maxLineLength: number;

  private readonly stack: Frame[] = [];
  /** Unparsed bytes of an unfinished line, waiting for the next chunk. */
  private pending: Buffer | null = null;
  /** Received parts of a bulk body (plus its CRLF) that spans chunks. */
  private bulkParts: Buffer[] = [];
  private bulkNeeded = 0;
  private bulkType = 0;
  /** Stream offset of the first byte of the buffer being parsed, for error messages. */
  private base = 0;
  private failure: ProtocolError | null = null;
  /** An attribute arrived and the value it annotates has not: a reply is still partly received. */
  private annotating = false;

  constructor(options: DecoderOptions) {
    this.onReply = options.onReply;
    this.onPush = options.onPush;
    this.onAttribute = options.onAttribute;
    this.bulkAsString = options.bulkStringsAs === 'string';
    this.maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.maxAggregateLength = options.maxAggregateLength ?? 2 ** 32 - 1;
    this.maxDepth = options.maxDepth ?? 128;
    this.maxLineLength = options.maxLineLength ?? 1024 * 1024;
  }

  /** The error that stopped this decoder, or null while it is usable. */
  get error(): ProtocolError | null {
    return this.failure;
  }

  /** True when no reply is partly received. */
  get idle(): boolean {
    return (
      this.pending === null && this.bulkNeeded === 0 && this.stack.length === 0 && !this.annotating
    );
  }

  /** Feeds the next chunk of the stream; throws ProtocolError on bytes that break RESP. */
  write(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    let buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      if (this.bulkNeeded > 0) {
        const used = this.continueBulk(buffer);
        if (used === -1) return;
        this.base += used;
        buffer = buffer.subarray(used);
      }
      if (this.pending !== null) {
        this.base -= this.pending.length;
        buffer = Buffer.concat([this.pending, buffer]);
        this.pending = null;
      }
      this.parse(buffer);
    } catch (error) {
      if (ProtocolError.is(error)) this.failure = error;
      throw error;
    }
  }

  private parse(buffer: Buffer): void {
    const length = buffer.length;
    let offset = 0;
    while (offset < length) {
      const type = buffer[offset];
      const next =
        type === 58
          ? this.parseIntegerFast(buffer, offset)
          : type === 36
            ? this.parseBulkFast(buffer, offset)
            : this.parseValue(buffer, offset);
      if (next === -1) {
        const rest = buffer.subarray(offset);
        if (rest.length > this.maxLineLength + 64) {
          this.fail('line longer than maxLineLength', offset);
        }
        this.pending = rest;
        break;
      }
      offset = next;
    }
    this.base += length;
  }

  private parseIntegerFast(buffer: Buffer, offset: number): number {
    const length = buffer.length;
    let index = offset + 1;
    let value = 0;
    while (index < length) {
      const digit = buffer[index]! - 48;
      if (digit >>> 0 > 9) break;
      value = value * 10 + digit;
      index++;
    }
    if (
      index + 1 >= length ||
      buffer[index] !== CR ||
      buffer[index + 1] !== LF ||
      index === offset + 1 ||
      index - offset > 16
    ) {
      return this.parseInteger(buffer, offset);
    }
    this.deliver(value);
    return index + 2;
  }

  private parseBulkFast(buffer: Buffer, offset: number): number {
    const length = buffer.length;
    let index = offset + 1;
    let size = 0;
    while (index < length) {
      const digit = buffer[index]! - 48;
      if (digit >>> 0 > 9) break;
      size = size * 10 + digit;
      index++;
    }
    const end = index + 2 + size;
    if (
      end + 2 > length ||
      buffer[index] !== CR ||
      buffer[index + 1] !== LF ||
      index === offset + 1 ||
      size > this.maxBulkLength ||
      buffer[end] !== CR ||
      buffer[end + 1] !== LF
    ) {
      return this.parseBulk(buffer, offset, 36);
    }
    this.deliver(this.bulkValue(buffer, index + 2, end, 36));
    return end + 2;
  }

  /** Parses one value (or aggregate header) at `offset`; returns the offset after it, or -1. */
  private parseValue(buffer: Buffer, offset: number): number {
    const type = buffer[offset];
    switch (type) {
      case 43: // '+' simple string: +<text>\r\n
        return this.parseSimple(buffer, offset, false);
      case 45: // '-' error: -<CODE message>\r\n
        return this.parseSimple(buffer, offset, true);
      case 58: // ':' integer: :<number>\r\n
        return this.parseInteger(buffer, offset);
      case 36: // '$' bulk string: $<len>\r\n<bytes>\r\n
      case 61: // '=' verbatim string: =<len>\r\n<fmt>:<text>\r\n
      case 33: // '!' blob error: !<len>\r\n<bytes>\r\n
        return this.parseBulk(buffer, offset, type);
      case 42: // '*' array
      case 126: // '~' set
        return this.parseAggregate(buffer, offset, FrameKind.Array, 1);
      case 37: // '%' map: count is of pairs
        return this.parseAggregate(buffer, offset, FrameKind.Map, 2);
      case 62: // '>' push
        return this.parseAggregate(buffer, offset, FrameKind.Push, 1);
      case 124: // '|' attribute: a map annotating the next value
        return this.parseAggregate(buffer, offset, FrameKind.Attribute, 2);
      case 95: // '_' null
        return this.parseLine(buffer, offset, type);
      case 35: // '#' boolean: #t or #f
      case 44: // ',' double
      case 40: // '(' big number
        return this.parseLine(buffer, offset, type);
      default:
        return this.fail(`unexpected type byte 0x${(type ?? 0).toString(16)}`, offset);
    }
  }

  private parseSimple(buffer: Buffer, offset: number, isError: boolean): number {
    const start = offset + 1;
    const cr = findCR(buffer, start);
    if (cr === -1 || cr + 1 >= buffer.length) return -1;
    if (buffer[cr + 1] !== LF) return this.fail('missing LF after CR', cr + 1);
    const text = decodeText(buffer, start, cr);
    this.deliver(isError ? new ReplyError(text) : text);
    return cr + 2;
  }

  private parseInteger(buffer: Buffer, offset: number): number {
    const end = this.parseNumber(buffer, offset + 1);
    if (end === -1) return -1;
    const value = this.number;
    if (Number.isSafeInteger(value)) {
      this.deliver(value);
    } else {
      const text = buffer.toString('latin1', offset + 1, end - 2);
      const big = BigInt(text);
      this.deliver(
        big >= Number.MIN_SAFE_INTEGER && big <= Number.MAX_SAFE_INTEGER ? Number(big) : big,
      );
    }
    return end;
  }

  /** The value read by the last parseNumber call. */
  private number = 0;

  /** Reads `[-]digits\r\n` from `start` into this.number; returns the offset after LF, or -1. */
  private parseNumber(buffer: Buffer, start: number): number {
    const length = buffer.length;
    let index = start;
    const negative = buffer[index] === 45;
    if (negative) index++;
    let value = 0;
    const digitsStart = index;
    while (index < length) {
      const digit = buffer[index]! - 48;
      if (digit === CR - 48) break;
      // One unsigned comparison rejects every byte outside '0'..'9'.
      if (digit >>> 0 > 9) return this.invalidDigit(buffer, start, index);
      value = value * 10 + digit;
      index++;
    }
    if (index + 1 >= length || index === digitsStart || buffer[index + 1] !== LF) {
      return this.numberEndProblem(buffer, start, index, digitsStart);
    }
    this.number = negative ? -value : value;
    return index + 2;
  }

  private invalidDigit(buffer: Buffer, start: number, index: number): never {
    // '$?' and '*?' open RESP3 streamed types, which no Redis server sends.
    if (index === start && buffer[index] === 63)
      this.fail('streamed strings and aggregates are not supported', index - 1);
    return this.fail('invalid digit in number', index);
  }

  /** Sorts out why a number line did not end cleanly: more bytes needed (-1), or bad input. */
  private numberEndProblem(
    buffer: Buffer,
    start: number,
    index: number,
    digitsStart: number,
  ): number {
    if (index + 1 >= buffer.length) {
      if (index - start > 24) this.fail('number too long', start);
      return -1;
    }
    if (index === digitsStart) return this.fail('empty number', start);
    return this.fail('missing LF after CR', index + 1);
  }

  private parseBulk(buffer: Buffer, offset: number, type: number): number {
    const bodyStart = this.parseNumber(buffer, offset + 1);
    if (bodyStart === -1) return -1;
    const size = this.number;
    if (size < 4 || size > this.maxBulkLength) {
      const special = this.checkBulkHeader(offset, type, size);
      if (special !== 0) return bodyStart;
    }
    const end = bodyStart + size;
    if (end + 2 > buffer.length) return this.startSpanningBulk(buffer, bodyStart, size, type);
    if (buffer[end] !== CR || buffer[end + 1] !== LF)
      return this.fail('missing CRLF after bulk', end);
    this.deliver(this.bulkValue(buffer, bodyStart, end, type));
    return end + 2;
  }

  /** Handles the rare bulk headers: null, negative, over the limit. Returns 1 for a null bulk. */
  private checkBulkHeader(offset: number, type: number, size: number): number {
    if (size === -1 && type === 36) {
      this.deliver(null);
      return 1;
    }
    if (size < 0) return this.fail(`invalid length ${size}`, offset);
    if (size > this.maxBulkLength) return this.fail(`bulk length ${size} over the limit`, offset);
    if (type === 61 && size < 4) return this.fail('verbatim string without format', offset);
    return 0;
  }

  /** The body spans chunks: collect its parts instead of re-parsing the header later. */
  private startSpanningBulk(buffer: Buffer, bodyStart: number, size: number, type: number): number {
    this.bulkType = type;
    this.bulkNeeded = size + 2 - (buffer.length - bodyStart);
    this.bulkParts = [buffer.subarray(bodyStart)];
    return buffer.length;
  }

  /** Adds bytes to a bulk body that spans chunks; returns how many it used, or -1 for all. */
  private continueBulk(buffer: Buffer): number {
    if (buffer.length < this.bulkNeeded) {
      this.bulkParts.push(buffer);
      this.bulkNeeded -= buffer.length;
      this.base += buffer.length;
      return -1;
    }
    const used = this.bulkNeeded;
    const parts = this.bulkParts;
    parts.push(buffer.subarray(0, used));
    this.bulkParts = [];
    this.bulkNeeded = 0;
    if (byteFromEnd(parts, 2) !== CR || byteFromEnd(parts, 1) !== LF) {
      return this.fail('missing CRLF after bulk', used - 2);
    }
    if (this.bulkAsString && this.bulkType === 36) {
      // Decode the parts as they are rather than joining them first: one copy less.
      this.deliver(decodeParts(parts, 2));
      return used;
    }
    const whole = Buffer.concat(parts);
    this.deliver(this.bulkValue(whole, 0, whole.length - 2, this.bulkType));
    return used;
  }

  private bulkValue(buffer: Buffer, start: number, end: number, type: number): Reply {
    if (type === 33) return new ReplyError(buffer.toString('utf8', start, end));
    if (type === 61) start += 4; // verbatim: drop the three-letter format and ':'
    if (this.bulkAsString) return buffer.toString('utf8', start, end);
    const size = end - start;
    if (size >= COPY_BELOW && size * 2 >= buffer.length) return buffer.subarray(start, end);
    const copy = Buffer.allocUnsafe(size);
    // For a few bytes a plain loop beats the native memcpy call that copy() makes.
    if (size <= COPY_BY_LOOP_BELOW)
      for (let index = 0; index < size; index++) copy[index] = buffer[start + index]!;
    else buffer.copy(copy, 0, start, end);
    return copy;
  }

  private parseAggregate(
    buffer: Buffer,
    offset: number,
    kind: FrameKind,
    perEntry: number,
  ): number {
    const next = this.parseNumber(buffer, offset + 1);
    if (next === -1) return -1;
    const count = this.number;
    if (count < 0) {
      if (count === -1 && buffer[offset] === 42) {
        this.deliver(null);
        return next;
      }
      return this.fail(`invalid count ${count}`, offset);
    }
    if (count > this.maxAggregateLength) return this.fail(`count ${count} over the limit`, offset);
    if (count === 0) {
      // An empty attribute still annotates the value after it: it is not a value itself.
      if (kind === FrameKind.Attribute) this.attribute(new Map());
      else this.deliver(finishFrame(kind, []));
      return next;
    }
    if (this.stack.length >= this.maxDepth)
      return this.fail('nesting deeper than maxDepth', offset);
    this.stack.push({ kind, items: [], remaining: count * perEntry });
    return next;
  }

  private parseLine(buffer: Buffer, offset: number, type: number): number {
    const cr = findCR(buffer, offset + 1);
    if (cr === -1 || cr + 1 >= buffer.length) return -1;
    if (buffer[cr + 1] !== LF) return this.fail('missing LF after CR', cr + 1);
    const text = buffer.toString('latin1', offset + 1, cr);
    let value: Reply;
    if (type === 95) {
      if (text !== '') return this.fail('invalid null', offset);
      value = null;
    } else if (type === 35) {
      if (text !== 't' && text !== 'f') return this.fail('invalid boolean', offset);
      value = text === 't';
    } else if (type === 44) {
      value = parseDouble(text);
      if (Number.isNaN(value) && text !== 'nan') return this.fail('invalid double', offset);
    } else {
      if (!/^-?\d+$/.test(text)) return this.fail('invalid big number', offset);
      value = BigInt(text);
    }
    this.deliver(value);
    return cr + 2;
  }

  /** Hands a complete value to the open aggregate, closing every aggregate it completes. */
  private deliver(value: Reply): void {
    // Kept tiny so that it inlines: most replies are top-level and go straight out.
    if (this.stack.length === 0 && this.onPush === undefined && !this.annotating)
      this.onReply(value);
    else this.deliverNested(value);
  }

  private attribute(attributes: Map<Reply, Reply>): void {
    if (this.stack.length === 0) this.annotating = true;
    this.onAttribute?.(attributes);
  }

  private deliverNested(value: Reply): void {
    const stack = this.stack;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      frame.items.push(value);
      if (--frame.remaining > 0) return;
      stack.pop();
      if (frame.kind === FrameKind.Attribute) {
        this.attribute(toMap(frame.items));
        return;
      }
      value = finishFrame(frame.kind, frame.items);
    }
    this.annotating = false;
    if (this.onPush !== undefined && value instanceof Push) this.onPush(value);
    else this.onReply(value);
  }

  private fail(message: string, offset: number): never {
    throw new ProtocolError(message, this.base + offset);
  }
}

function finishFrame(kind: FrameKind, items: Reply[]): Reply {
  if (kind === FrameKind.Array) return items;
  if (kind === FrameKind.Push) return new Push(items);
  return toMap(items);
}

function toMap(items: Reply[]): Map<Reply, Reply> {
  const map = new Map<Reply, Reply>();
  for (let index = 0; index < items.length; index += 2) map.set(items[index]!, items[index + 1]!);
  return map;
}

/** The byte `distance` places from the end of the concatenated parts. */
function byteFromEnd(parts: readonly Buffer[], distance: number): number | undefined {
  for (let index = parts.length - 1; index >= 0; index--) {
    const part = parts[index]!;
    if (distance <= part.length) return part[part.length - distance];
    distance -= part.length;
  }
  return undefined;
}

/** UTF-8 text of the concatenated parts without their last `trailing` bytes. */
function decodeParts(parts: readonly Buffer[], trailing: number): string {
  const decoder = new StringDecoder('utf8');
  let remaining = parts.reduce((total, part) => total + part.length, 0) - trailing;
  let text = '';
  for (const part of parts) {
    if (remaining <= 0) break;
    const take = Math.min(part.length, remaining);
    text += decoder.write(take === part.length ? part : part.subarray(0, take));
    remaining -= take;
  }
  return text + decoder.end();
}

function findCR(buffer: Buffer, start: number): number {
  const length = buffer.length;
  // Short lines are the common case; a plain loop beats indexOf's native call there.
  const stop = Math.min(length, start + 32);
  for (let index = start; index < stop; index++) if (buffer[index] === CR) return index;
  return stop === length ? -1 : buffer.indexOf(CR, stop);
}

function decodeText(buffer: Buffer, start: number, end: number): string {
  if (end - start === 2 && buffer[start] === 79 && buffer[start + 1] === 75) return 'OK';
  return buffer.toString('utf8', start, end);
}

function parseDouble(text: string): number {
  switch (text) {
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'nan':
      return Number.NaN;
    default:
      return text === '' ? Number.NaN : Number(text);
  }
}
