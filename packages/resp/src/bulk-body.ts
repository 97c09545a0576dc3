import { StringDecoder } from 'node:string_decoder';
import { ChunkParts } from './chunk-parts.js';
import { ReplyError } from './errors.js';
import type { Reply } from './reply.js';

const CR = 13;
const LF = 10;

/**
 * BulkBody is a bulk string whose body (and CRLF) spans socket chunks: its header's facts and
 * the bytes received so far, kept in memory proportional to their number (see ChunkParts).
 */
export class BulkBody {
  /** The RESP type byte of the header: '$', '=' or '!'. */
  readonly type: number;
  /** Stream offset of the header's type byte. */
  readonly offset: number;
  /** Bytes charged to the reply's maxReplyBytes estimate when the header arrived. */
  readonly charged: number;
  /** Bytes still expected, CRLF included. */
  needed: number;
  private readonly parts = new ChunkParts();

  constructor(type: number, offset: number, needed: number, charged: number) {
    this.type = type;
    this.offset = offset;
    this.needed = needed;
    this.charged = charged;
  }

  /** Adds the next bytes of the body; there are never more than `needed`. */
  add(part: Buffer): void {
    this.needed -= part.length;
    this.parts.add(part, this.needed);
  }

  /**
   * The index in `next`, the chunk to add next, of the byte that must be the CR after the body
   * and is not; -1 when that byte is a CR or is not in `next`.
   */
  missingCR(next: Buffer): number {
    const index = this.needed - 2;
    return index >= 0 && index < next.length && next[index] !== CR ? index : -1;
  }

  /** Whether the body received ends with CRLF, as a complete bulk string must. */
  endsWithCRLF(): boolean {
    return this.parts.byteFromEnd(2) === CR && this.parts.byteFromEnd(1) === LF;
  }

  /** The complete value: a Buffer, or a string `asString`, or a ReplyError for a blob error. */
  value(asString: boolean): Reply {
    if (this.type === 36 && asString) return this.text();
    const whole = this.parts.joined();
    // '=' verbatim string: drop the three-letter format and ':'.
    const start = this.type === 61 ? 4 : 0;
    if (this.type === 33) return new ReplyError(whole.toString('utf8', 0, whole.length - 2));
    if (asString) return whole.toString('utf8', start, whole.length - 2);
    // `whole` is a buffer of its own (never a caller's chunk), so a view of it keeps nothing else.
    return whole.subarray(start, whole.length - 2);
  }

  /** The body as UTF-8 text, decoded part by part rather than joined first. */
  private text(): string {
    const parts = this.parts.list();
    if (parts.length === 1) return parts[0]!.toString('utf8', 0, this.parts.length - 2);
    const decoder = new StringDecoder('utf8');
    let remaining = this.parts.length - 2;
    let text = '';
    for (const part of parts) {
      if (remaining <= 0) break;
      const take = Math.min(part.length, remaining);
      text += decoder.write(take === part.length ? part : part.subarray(0, take));
      remaining -= take;
    }
    return text + decoder.end();
  }
}
