import { BulkBody } from './bulk-body.js';
import { type DecoderLimits, readDecoderLimits } from './decoder-limits.js';
import { ProtocolError, ReplyError } from './errors.js';
import { lengthLimitOf, lineFailures, PendingLine } from './pending-line.js';
import { Push, type Reply } from './reply.js';
import { AGGREGATE_COST, bulkCost, retainedCost } from './reply-cost.js';

/**
 * DecoderOptions configures a Decoder; every limit (see DecoderLimits) guards against a hostile
 * or broken peer, and the constructor throws a TypeError or RangeError for a bad one.
 */
export interface DecoderOptions extends Partial<DecoderLimits> {
  /** Called with each complete top-level reply, in stream order. */
  onReply: (reply: Reply) => void;
  /** Called with each top-level RESP3 push frame. Without it, pushes go to `onReply`. */
  onPush?: (push: Push) => void;
  /** Called with each RESP3 attribute map; the value it annotates is decoded as usual. */
  onAttribute?: (attributes: Map<Reply, Reply>) => void;
  /**
   * `'buffer'` (default) yields bulk strings as Buffers of their own below 4 KiB (copied out of
   * the received chunk); `'view'` yields Buffers that are views of the chunk when the whole value
   * is inside one chunk (no copy, but a view keeps its whole chunk, up to 64 KiB, alive for as
   * long as it is kept) and copies otherwise; `'string'` decodes them as UTF-8. With `'view'`,
   * the caller of `write` must not change a chunk's bytes afterwards (a socket never does).
   */
  bulkStringsAs?: 'buffer' | 'string' | 'view';
}

const CR = 13;
const LF = 10;
// Bulk strings shorter than this are copied out of the socket chunk so that a small value
// does not keep a large chunk alive; longer ones are views when they fill most of it.
const COPY_BELOW = 4096;
const COPY_BY_LOOP_BELOW = 64;
// Integers and lengths of at most this many digits are read exactly as doubles on the fast path.
const FAST_DIGITS = 15;
// Headroom for a bulk header on the fast path: type byte, 15 digits, CRLF, CRLF after the body.
const FAST_HEADER_BYTES = 20;

const bulkWithoutCRLF = 'missing CRLF after bulk';

const FrameKind = { Array: 0, Map: 1, Push: 2, Attribute: 3 } as const;
type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

interface Frame {
  kind: FrameKind;
  items: Reply[];
  /** Items received so far. */
  filled: number;
  remaining: number;
}

/**
 * Aggregates up to this many items get an array of their exact length at once (no growth, no
 * spare slots); a longer one grows as its items come, so that a count the server announces but
 * never sends cannot make the decoder allocate it.
 */
const PREALLOCATE_ITEMS = 4096;

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
  /** Bulk strings inside one chunk are views of it at every size (`bulkStringsAs: 'view'`). */
  private readonly bulkAsView: boolean;
  private readonly maxBulkLength: number;
  private readonly maxAggregateLength: number;
  private readonly maxDepth: number;
  private readonly maxLineLength: number;
  private readonly maxReplyBytes: number;
  private readonly limits: DecoderLimits;
  /** Longest `:` or `$` line, type byte included, that the fast paths may read. */
  private readonly fastLineLength: number;
  /** Largest bulk length the fast path may take without checking maxReplyBytes. */
  private readonly fastBulkLength: number;

  private readonly stack: Frame[] = [];
  /** An unfinished line, waiting for the chunk with its LF. */
  private readonly line: PendingLine;
  /** The body of a bulk string that spans chunks, or null. */
  private bulk: BulkBody | null = null;
  /** Estimated memory of the reply being assembled, for maxReplyBytes. */
  private replyBytes = 0;
  /** Stream offset of the first byte of the buffer being parsed, for error messages. */
  private base = 0;
  private failure: ProtocolError | null = null;
  /** An attribute arrived and the value it annotates has not: a reply is still partly received. */
  private annotating = false;

  constructor(options: DecoderOptions) {
    const limits = readDecoderLimits(options);
    this.limits = limits;
    this.onReply = options.onReply;
    this.onPush = options.onPush;
    this.onAttribute = options.onAttribute;
    this.bulkAsString = options.bulkStringsAs === 'string';
    this.bulkAsView = options.bulkStringsAs === 'view';
    this.maxBulkLength = limits.maxBulkLength;
    this.maxAggregateLength = limits.maxAggregateLength;
    this.maxDepth = limits.maxDepth;
    this.maxLineLength = limits.maxLineLength;
    this.maxReplyBytes = limits.maxReplyBytes;
    this.fastLineLength = Math.min(FAST_DIGITS, this.maxLineLength) + 1;
    // Text counts its wire bytes twice (two bytes a character): half the room.
    const fastRoom = this.maxReplyBytes - bulkCost(36, this.bulkAsString, 0);
    this.fastBulkLength = Math.min(
      this.maxBulkLength,
      (this.bulkAsString ? Math.floor(fastRoom / 2) : fastRoom) - FAST_HEADER_BYTES,
    );
    this.line = new PendingLine(limits);
  }

  /** The error that stopped this decoder, or null while it is usable. */
  get error(): ProtocolError | null {
    return this.failure;
  }

  /** True while the reply partly received is a RESP3 push frame (a connection's deadline ignores it). */
  get assemblingPush(): boolean {
    // '>' push: its header may itself be cut, before any frame is open.
    if (this.stack.length === 0) return this.line.type === 62;
    return this.stack[0]!.kind === FrameKind.Push;
  }

  /** True when no reply is partly received. */
  get idle(): boolean {
    return (
      this.line.length === 0 && this.bulk === null && this.stack.length === 0 && !this.annotating
    );
  }

  /** Feeds the next chunk of the stream; throws ProtocolError on bytes that break RESP. */
  write(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    let buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    try {
      if (this.line.length !== 0) {
        // Join the unfinished line with this chunk up to its first LF only; parse the rest in place.
        const lineFeed = buffer.indexOf(LF);
        if (lineFeed === -1) {
          this.line.append(buffer);
          this.base += buffer.length;
          return;
        }
        const line = this.line.finish(buffer.subarray(0, lineFeed + 1));
        this.base -= line.length - lineFeed - 1;
        this.parse(line);
        buffer = buffer.subarray(lineFeed + 1);
      }
      if (this.bulk !== null) {
        const used = this.continueBulk(this.bulk, buffer);
        if (used === -1) return;
        this.base += used;
        buffer = buffer.subarray(used);
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
      // The commonest replies (':' integers, '$' bulk strings, '+' simple strings) skip the
      // switch in parseValue: V8 then inlines their whole path here.
      const next =
        type === 58
          ? this.parseIntegerFast(buffer, offset)
          : type === 36
            ? this.parseBulkFast(buffer, offset)
            : type === 43
              ? this.parseSimple(buffer, offset, false)
              : this.parseValue(buffer, offset);
      if (next === -1) {
        this.holdLine(buffer, offset);
        break;
      }
      offset = next;
    }
    this.base += length;
  }

  /** Keeps the unfinished line at `offset` until the chunk with its LF arrives. */
  private holdLine(buffer: Buffer, offset: number): void {
    this.line.start(buffer.subarray(offset), this.base + offset);
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
      index - offset > this.fastLineLength
    ) {
      return this.parseInteger(buffer, offset);
    }
    this.deliver(value, offset, index + 2);
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
      index - offset > this.fastLineLength ||
      size > this.fastBulkLength ||
      buffer[end] !== CR ||
      buffer[end + 1] !== LF
    ) {
      return this.parseBulk(buffer, offset, 36);
    }
    this.deliver(this.bulkValue(buffer, index + 2, end, 36), offset, end + 2);
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
    // The same test as in parseLine, written out twice: the +OK path must stay small enough
    // for V8 to inline it whole into parse().
    const cr = findLineEnd(buffer, start);
    if (cr === -1 || buffer[cr] !== CR || buffer[cr + 1] !== LF || cr - start > this.maxLineLength)
      return this.lineEndProblem(buffer, start, cr);
    const text = decodeText(buffer, start, cr);
    this.deliver(isError ? new ReplyError(text) : text, offset, cr + 2);
    return cr + 2;
  }

  /** Sorts out why a text line did not end cleanly: more bytes needed (-1), or bad input. */
  private lineEndProblem(buffer: Buffer, start: number, end: number): number {
    // The limit comes first: cut into chunks, an overlong line fails before its end arrives.
    if ((end === -1 ? buffer.length : end) - start > this.maxLineLength)
      this.fail(lineFailures.lineLength(this.maxLineLength), start - 1);
    if (end === -1) return -1;
    if (buffer[end] === LF) return this.fail(lineFailures.bareLineFeed, end);
    // A CR at the end of the buffer: its LF may be in the next chunk.
    if (end + 1 === buffer.length) return -1;
    return this.fail(lineFailures.missingLineFeed, end + 1);
  }

  private parseInteger(buffer: Buffer, offset: number): number {
    const end = this.parseNumber(buffer, offset + 1);
    if (end === -1) return -1;
    const value = this.number;
    if (Number.isSafeInteger(value)) {
      this.deliver(value, offset, end);
    } else {
      const text = buffer.toString('latin1', offset + 1, end - 2);
      const big = BigInt(text);
      const safe = big >= Number.MIN_SAFE_INTEGER && big <= Number.MAX_SAFE_INTEGER;
      this.deliver(safe ? Number(big) : big, offset, end);
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
    if (
      index + 1 >= length ||
      index === digitsStart ||
      buffer[index + 1] !== LF ||
      index - start > this.maxLineLength
    ) {
      return this.numberEndProblem(buffer, start, index, digitsStart);
    }
    // 0 - value, not -value: ':-0' is the integer 0, not the double -0.
    this.number = negative ? 0 - value : value;
    return index + 2;
  }

  private invalidDigit(buffer: Buffer, start: number, index: number): never {
    this.checkLengthLimit(buffer, start, index);
    if (index - start > this.maxLineLength)
      this.fail(lineFailures.lineLength(this.maxLineLength), start - 1);
    if (buffer[index] === LF) this.fail(lineFailures.bareLineFeed, index);
    // '$?' and '*?' open RESP3 streamed types, which no Redis server sends.
    if (index === start && buffer[index] === 63) this.fail(lineFailures.streamed, index - 1);
    return this.fail(lineFailures.invalidDigit, index);
  }

  /** Sorts out why a number line did not end cleanly: more bytes needed (-1), or bad input. */
  private numberEndProblem(
    buffer: Buffer,
    start: number,
    index: number,
    digitsStart: number,
  ): number {
    this.checkLengthLimit(buffer, start, index);
    if (index - start > this.maxLineLength)
      this.fail(lineFailures.lineLength(this.maxLineLength), start - 1);
    // Cut before its end: PendingLine goes on checking the line as its bytes arrive.
    if (index + 1 >= buffer.length) return -1;
    if (index === digitsStart) return this.fail(lineFailures.emptyNumber, start);
    return this.fail(lineFailures.missingLineFeed, index + 1);
  }

  /**
   * Fails as PendingLine does when the digits of a length line before `end`, its first problem,
   * already take it past its limit: that failure comes first (see lengthLimitOf). Only called
   * on a line that did not end cleanly, so a well-formed line pays nothing for it.
   */
  private checkLengthLimit(buffer: Buffer, start: number, end: number): void {
    const limit = lengthLimitOf(buffer[start - 1]!, this.limits);
    if (limit === null || buffer[start] === 45) return;
    // Up to the digit that breaks maxLineLength, which counts towards the value first.
    const stop = Math.min(end, start + this.maxLineLength + 1);
    let value = 0;
    for (let index = start; index < stop; index++) value = value * 10 + (buffer[index]! - 48);
    if (value > limit.max) this.fail(limit.failure, start - 1);
  }

  private parseBulk(buffer: Buffer, offset: number, type: number): number {
    const bodyStart = this.parseNumber(buffer, offset + 1);
    if (bodyStart === -1) return -1;
    const size = this.number;
    if (size < 4 || size > this.maxBulkLength) {
      const special = this.checkBulkHeader(offset, bodyStart, type, size);
      if (special !== 0) return bodyStart;
    }
    const end = bodyStart + size;
    // Counted when the header arrives, so a body that spans chunks is refused before it comes.
    const charged = this.chargeBulk(offset, end + 2, type);
    // The byte after the body must be CR: fail as soon as it is here, not when the LF would be.
    if (end < buffer.length && buffer[end] !== CR) return this.fail(bulkWithoutCRLF, end);
    if (end + 2 > buffer.length)
      return this.startSpanningBulk(buffer, offset, bodyStart, size, charged);
    if (buffer[end + 1] !== LF) return this.fail(bulkWithoutCRLF, end);
    this.replyBytes -= charged; // deliver() counts the same bytes again
    this.deliver(this.bulkValue(buffer, bodyStart, end, type), offset, end + 2);
    return end + 2;
  }

  /** Handles the rare bulk headers: null, negative, over the limit. Returns 1 for a null bulk. */
  private checkBulkHeader(offset: number, bodyStart: number, type: number, size: number): number {
    if (size === -1 && type === 36) {
      this.deliver(null, offset, bodyStart);
      return 1;
    }
    if (size < 0) return this.fail(`invalid length ${size}`, offset);
    if (size > this.maxBulkLength)
      return this.fail(lineFailures.bulkLength(this.maxBulkLength), offset);
    if (type === 61 && size < 4) return this.fail('verbatim string without format', offset);
    return 0;
  }

  /**
   * Counts a bulk string from `offset` to `end` against maxReplyBytes, as deliver() will count
   * it; returns what it charged. A top-level one is only checked, as deliver() does not count a
   * reply that is one value.
   */
  private chargeBulk(offset: number, end: number, type: number): number {
    const cost = end - offset + bulkCost(type, this.bulkAsString, end - offset);
    // Exactly what deliverNested() charges for the value, so chunking changes nothing.
    if (this.stack.length === 0) {
      if (cost > this.maxReplyBytes) this.failReplyBytes(offset);
      return 0;
    }
    this.charge(cost, offset);
    return cost;
  }

  /** The body spans chunks: collect its parts instead of re-parsing the header later. */
  private startSpanningBulk(
    buffer: Buffer,
    offset: number,
    bodyStart: number,
    size: number,
    charged: number,
  ): number {
    const body = new BulkBody(buffer[offset]!, this.base + offset, size + 2, charged);
    body.add(buffer.subarray(bodyStart));
    this.bulk = body;
    return buffer.length;
  }

  /** Adds bytes to a bulk body that spans chunks; returns how many it used, or -1 for all. */
  private continueBulk(body: BulkBody, buffer: Buffer): number {
    const misplaced = body.missingCR(buffer);
    if (misplaced !== -1) {
      this.bulk = null;
      return this.fail(bulkWithoutCRLF, misplaced);
    }
    if (buffer.length < body.needed) {
      body.add(buffer);
      this.base += buffer.length;
      return -1;
    }
    const used = body.needed;
    body.add(buffer.subarray(0, used));
    this.bulk = null;
    if (!body.endsWithCRLF()) return this.fail(bulkWithoutCRLF, used - 2);
    this.replyBytes -= body.charged; // deliver() counts the same bytes again
    this.deliver(body.value(this.bulkAsString), body.offset - this.base, used);
    return used;
  }

  private bulkValue(buffer: Buffer, start: number, end: number, type: number): Reply {
    if (type === 33) return new ReplyError(buffer.toString('utf8', start, end));
    if (type === 61) start += 4; // verbatim: drop the three-letter format and ':'
    if (this.bulkAsString) return utf8Text(buffer, start, end);
    const size = end - start;
    if (this.bulkAsView || (size >= COPY_BELOW && size * 2 >= buffer.length))
      return buffer.subarray(start, end);
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
        this.deliver(null, offset, next);
        return next;
      }
      return this.fail(`invalid count ${count}`, offset);
    }
    if (count > this.maxAggregateLength)
      return this.fail(lineFailures.count(this.maxAggregateLength), offset);
    if (count === 0) {
      // An empty attribute still annotates the value after it: it is not a value itself.
      if (kind === FrameKind.Attribute) this.attribute(new Map());
      else this.deliver(finishFrame(kind, []), offset, next);
      return next;
    }
    if (this.stack.length >= this.maxDepth)
      return this.fail('nesting deeper than maxDepth', offset);
    this.charge(next - offset + AGGREGATE_COST, offset);
    const items = count * perEntry;
    this.stack.push({
      kind,
      items: items <= PREALLOCATE_ITEMS ? new Array<Reply>(items) : [],
      filled: 0,
      remaining: items,
    });
    return next;
  }

  private parseLine(buffer: Buffer, offset: number, type: number): number {
    const start = offset + 1;
    const cr = findLineEnd(buffer, start);
    if (cr === -1 || buffer[cr] !== CR || buffer[cr + 1] !== LF || cr - start > this.maxLineLength)
      return this.lineEndProblem(buffer, start, cr);
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
    this.deliver(value, offset, cr + 2);
    return cr + 2;
  }

  /**
   * Hands a complete value, read from `start` to `end` of the buffer being parsed, to the open
   * aggregate, closing every aggregate it completes.
   */
  private deliver(value: Reply, start: number, end: number): void {
    // Kept tiny so that it inlines: most replies are top-level and go straight out. A value's
    // cost is worked out only when it is nested: computing it here slowed +OK by 5%.
    if (this.stack.length === 0 && this.onPush === undefined && !this.annotating)
      this.onReply(value);
    else this.deliverNested(value, start, end);
  }

  private attribute(attributes: Map<Reply, Reply>): void {
    if (this.stack.length === 0) this.annotating = true;
    this.onAttribute?.(attributes);
  }

  private deliverNested(value: Reply, start: number, end: number): void {
    const stack = this.stack;
    // A non-empty aggregate was charged when it opened; this value is charged as it joins it.
    if (stack.length > 0) this.charge(end - start + retainedCost(value, end - start), start);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      frame.items[frame.filled++] = value;
      if (--frame.remaining > 0) return;
      stack.pop();
      if (frame.kind === FrameKind.Attribute) {
        this.attribute(toMap(frame.items));
        return;
      }
      value = finishFrame(frame.kind, frame.items);
    }
    this.replyBytes = 0;
    this.annotating = false;
    if (this.onPush !== undefined && value instanceof Push) this.onPush(value);
    else this.onReply(value);
  }

  /** Adds `bytes` to the estimate of the reply being assembled; fails over maxReplyBytes. */
  private charge(bytes: number, offset: number): void {
    this.replyBytes += bytes;
    if (this.replyBytes > this.maxReplyBytes) this.failReplyBytes(offset);
  }

  private failReplyBytes(offset: number): never {
    return this.fail(`reply larger than maxReplyBytes (${this.maxReplyBytes})`, offset);
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

/** Returns the index of the first CR or LF from `start`, or -1. A text line holds neither. */
function findLineEnd(buffer: Buffer, start: number): number {
  const length = buffer.length;
  // Short lines are the common case; a plain loop beats indexOf's native call there.
  const stop = Math.min(length, start + 32);
  for (let index = start; index < stop; index++) {
    const byte = buffer[index]!;
    // One comparison passes every printable byte; only control bytes need the exact test.
    if (byte <= CR && (byte === CR || byte === LF)) return index;
  }
  return stop === length ? -1 : findLineEndFar(buffer, stop);
}

/** findLineEnd past the first 32 bytes, kept apart so that the short-line loop inlines. */
function findLineEndFar(buffer: Buffer, start: number): number {
  const cr = buffer.indexOf(CR, start);
  const lineFeed = buffer.indexOf(LF, start);
  if (cr === -1 || lineFeed === -1) return cr === -1 ? lineFeed : cr;
  return Math.min(cr, lineFeed);
}

function decodeText(buffer: Buffer, start: number, end: number): string {
  if (end - start === 2 && buffer[start] === 79 && buffer[start + 1] === 75) return 'OK';
  return utf8Text(buffer, start, end);
}

// Buffer#utf8Slice: what toString('utf8', start, end) calls after checking its arguments and
// looking the encoding up, which costs more than decoding a short value. Node's own, untyped.
interface Utf8Slicing {
  utf8Slice(start: number, end: number): string;
}

/** The bytes from `start` to `end` as UTF-8 text; the bounds are known good. */
function utf8Text(buffer: Buffer, start: number, end: number): string {
  return (buffer as unknown as Utf8Slicing).utf8Slice(start, end);
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
