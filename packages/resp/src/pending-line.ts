import { ChunkParts } from './chunk-parts.js';
import { ProtocolError } from './errors.js';

const CR = 13;

/**
 * Failure texts shared by the Decoder and PendingLine, so that a line fails with the same
 * message and offset whether it arrived whole or cut into chunks.
 */
export const lineFailures = {
  bareLineFeed: 'bare LF where CRLF ends a line',
  missingLineFeed: 'missing LF after CR',
  invalidDigit: 'invalid digit in number',
  emptyNumber: 'empty number',
  streamed: 'streamed strings and aggregates are not supported',
  lineLength: (max: number) => `line longer than maxLineLength (${max})`,
  bulkLength: (max: number) => `bulk length over maxBulkLength (${max})`,
  count: (max: number) => `count over maxAggregateLength (${max})`,
};

/** LineLimits are the Decoder limits that a line can break before its end arrives. */
export interface LineLimits {
  maxLineLength: number;
  maxBulkLength: number;
  maxAggregateLength: number;
}

/** The largest value a length line may hold, and the failure for one that passes it. */
export interface LengthLimit {
  max: number;
  failure: string;
}

/**
 * The limit on the number in a line of RESP type `type`: maxBulkLength for a bulk length,
 * maxAggregateLength for a count, none (null) for an integer or a text line.
 *
 * The rule, the same whole and in chunks: the line is read byte by byte, and a digit that takes
 * the value past this limit fails with its message, before the line-length limit is checked on
 * the same byte; more digits could only make the value larger.
 */
export function lengthLimitOf(type: number, limits: LineLimits): LengthLimit | null {
  switch (type) {
    case 36: // '$' bulk string, '=' verbatim string, '!' blob error
    case 61:
    case 33:
      return { max: limits.maxBulkLength, failure: lineFailures.bulkLength(limits.maxBulkLength) };
    case 42: // '*' array, '~' set, '%' map, '>' push, '|' attribute
    case 126:
    case 37:
    case 62:
    case 124:
      return {
        max: limits.maxAggregateLength,
        failure: lineFailures.count(limits.maxAggregateLength),
      };
    default:
      return null;
  }
}

/**
 * PendingLine holds an unfinished line (a simple string, a number or a length header) until the
 * chunk with its LF arrives; the parts are joined once then, so a line that arrives one byte per
 * chunk costs linear time, and at most about 2 bytes of memory per byte (see ChunkParts). Each
 * part is checked as it arrives and fails on the same byte, with the same message, as the whole
 * line would: decoding does not depend on where chunks end.
 */
export class PendingLine {
  private readonly parts = new ChunkParts();
  /** Stream offset of the line's type byte. */
  private offset = 0;
  /** Whether the line holds a number (an integer, a length or a count) rather than text. */
  private isNumber = false;
  /** The largest value the number may have: maxBulkLength for a bulk length, and so on. */
  private numberLimit = Number.POSITIVE_INFINITY;
  private numberLimitFailure = '';
  /** Bytes between the type byte and CR (or the end so far). */
  private contentLength = 0;
  private digits = 0;
  private value = 0;
  private negative = false;
  private endsWithCR = false;
  private typeByte = 0;
  private readonly limits: LineLimits;

  constructor(limits: LineLimits) {
    this.limits = limits;
  }

  /** The RESP type byte of the line held (its first byte), or 0 when none is. */
  get type(): number {
    return this.parts.length === 0 ? 0 : this.typeByte;
  }

  /** Bytes held; 0 when no line is pending. */
  get length(): number {
    return this.parts.length;
  }

  /** Holds `rest`, an unfinished line at stream offset `offset` that has no LF. */
  start(rest: Buffer, offset: number): void {
    this.offset = offset;
    this.contentLength = 0;
    this.digits = 0;
    this.value = 0;
    this.negative = false;
    this.endsWithCR = false;
    this.parts.clear();
    this.typeByte = rest[0]!;
    this.setKind(rest[0]!);
    this.check(rest, 1);
    this.parts.add(rest);
  }

  /** Adds a chunk that has no LF; throws ProtocolError if the line is already broken. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.endsWithCR) {
      const message = this.isNumber && this.digits === 0 ? 'emptyNumber' : 'missingLineFeed';
      this.fail(lineFailures[message], message === 'emptyNumber' ? this.offset + 1 : this.at(0));
    }
    this.check(chunk, 0);
    this.parts.add(chunk);
  }

  /** Returns the held bytes followed by `head` (which ends with the LF), and holds nothing. */
  finish(head: Buffer): Buffer {
    const parts = this.parts.list();
    const line = Buffer.concat([...parts, head], this.parts.length + head.length);
    this.parts.clear();
    return line;
  }

  private setKind(type: number): void {
    // ':' integers are numbers without a limit on their value.
    this.isNumber = type === 58;
    this.numberLimit = Number.POSITIVE_INFINITY;
    const limit = lengthLimitOf(type, this.limits);
    if (limit === null) return;
    this.isNumber = true;
    this.numberLimit = limit.max;
    this.numberLimitFailure = limit.failure;
  }

  private check(chunk: Buffer, from: number): void {
    if (this.isNumber) this.checkNumber(chunk, from);
    else this.checkText(chunk, from);
  }

  private checkText(chunk: Buffer, from: number): void {
    const cr = chunk.indexOf(CR, from);
    this.contentLength += (cr === -1 ? chunk.length : cr) - from;
    if (this.contentLength > this.limits.maxLineLength)
      this.fail(lineFailures.lineLength(this.limits.maxLineLength), this.offset);
    if (cr !== -1 && cr + 1 < chunk.length)
      this.fail(lineFailures.missingLineFeed, this.at(cr + 1));
    this.endsWithCR = cr !== -1;
  }

  /** Reads `[-]digits[CR]` as Decoder.parseNumber does, keeping the value for the early limit. */
  private checkNumber(chunk: Buffer, from: number): void {
    for (let index = from; index < chunk.length; index++) {
      const byte = chunk[index]!;
      const digit = byte - 48;
      if (byte === CR) {
        if (index + 1 < chunk.length) {
          if (this.digits === 0) this.fail(lineFailures.emptyNumber, this.offset + 1);
          this.fail(lineFailures.missingLineFeed, this.at(index + 1));
        }
        this.endsWithCR = true;
        break;
      }
      if (digit >>> 0 <= 9) {
        this.value = this.value * 10 + digit;
        this.digits++;
        // Checked at each digit, not at the chunk's end: where a chunk ends must not decide
        // whether this or the line-length limit below fails first.
        if (!this.negative && this.value > this.numberLimit)
          this.fail(this.numberLimitFailure, this.offset);
      } else if (byte === 45 && this.contentLength === 0) {
        this.negative = true;
      } else if (byte === 63 && this.contentLength === 0) {
        this.fail(lineFailures.streamed, this.offset);
      } else {
        this.fail(lineFailures.invalidDigit, this.at(index));
      }
      if (++this.contentLength > this.limits.maxLineLength)
        this.fail(lineFailures.lineLength(this.limits.maxLineLength), this.offset);
    }
  }

  /** Stream offset of `chunk[index]` for the chunk being added. */
  private at(index: number): number {
    return this.offset + this.length + index;
  }

  private fail(message: string, offset: number): never {
    throw new ProtocolError(message, offset);
  }
}
