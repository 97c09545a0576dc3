import { ProtocolError } from './errors.js';

/** CommandDecoderOptions configures a CommandDecoder, the server side of the protocol. */
export interface CommandDecoderOptions {
  /** Called with each complete command's arguments, the name first. */
  onCommand: (args: Buffer[]) => void;
  /** Longest argument accepted, in bytes. Default 512 MiB, as the server's proto-max-bulk-len. */
  maxBulkLength?: number;
  /** Most arguments in one command. Default 1,048,576, as the server's limit before AUTH. */
  maxArgs?: number;
  /** Longest inline command line. Default 64 KiB, as the server's PROTO_INLINE_MAX_SIZE. */
  maxInlineLength?: number;
}

const CR = 13;
const LF = 10;

/**
 * CommandDecoder reads commands as redis-server accepts them: RESP arrays of bulk strings, or
 * inline commands (`SET key "a b"\r\n`) split with the server's quoting rules.
 */
export class CommandDecoder {
  private readonly onCommand: (args: Buffer[]) => void;
  private readonly maxBulkLength: number;
  private readonly maxArgs: number;
  private readonly maxInlineLength: number;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes that must be buffered before parsing can make progress (a bulk body). */
  private needed = 0;
  private args: Buffer[] = [];
  private argsLeft = 0;
  private base = 0;
  private failure: ProtocolError | null = null;

  constructor(options: CommandDecoderOptions) {
    this.onCommand = options.onCommand;
    this.maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.maxArgs = options.maxArgs ?? 1024 * 1024;
    this.maxInlineLength = options.maxInlineLength ?? 64 * 1024;
  }

  /** Feeds the next chunk of the stream; throws ProtocolError on bytes that break RESP. */
  write(chunk: Uint8Array): void {
    if (this.failure !== null) throw this.failure;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.byteLength;
    if (this.buffered < this.needed) return;
    const buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.needed = 0;
    let offset = 0;
    try {
      offset = this.parse(buffer);
    } catch (error) {
      if (ProtocolError.is(error)) this.failure = error;
      throw error;
    }
    this.base += offset;
    const rest = buffer.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private parse(buffer: Buffer): number {
    let offset = 0;
    while (offset < buffer.length) {
      let next: number;
      if (this.argsLeft > 0) next = this.parseBulk(buffer, offset);
      else if (buffer[offset] === 42) next = this.parseArrayHeader(buffer, offset);
      else next = this.parseInline(buffer, offset);
      if (next === -1) return offset;
      offset = next;
    }
    return offset;
  }

  private parseArrayHeader(buffer: Buffer, offset: number): number {
    const end = this.readNumber(buffer, offset + 1, offset);
    if (end === -1) return -1;
    const count = this.number;
    if (count > this.maxArgs) this.fail(`invalid multibulk length ${count}`, offset);
    // A count of zero or less is skipped, as redis-server does.
    if (count > 0) {
      this.argsLeft = count;
      this.args = [];
    }
    return end;
  }

  private parseBulk(buffer: Buffer, offset: number): number {
    if (buffer[offset] !== 36)
      this.fail(`expected '$', got byte 0x${buffer[offset]!.toString(16)}`, offset);
    const bodyStart = this.readNumber(buffer, offset + 1, offset);
    if (bodyStart === -1) return -1;
    const size = this.number;
    if (size < 0 || size > this.maxBulkLength) this.fail(`invalid bulk length ${size}`, offset);
    const end = bodyStart + size;
    if (end + 2 > buffer.length) {
      this.needed = end + 2 - offset;
      return -1;
    }
    if (buffer[end] !== CR || buffer[end + 1] !== LF) this.fail('missing CRLF after bulk', end);
    this.args.push(Buffer.from(buffer.subarray(bodyStart, end)));
    if (--this.argsLeft === 0) this.emit(this.args);
    return end + 2;
  }

  private parseInline(buffer: Buffer, offset: number): number {
    const lf = buffer.indexOf(LF, offset);
    if (lf === -1) {
      if (buffer.length - offset > this.maxInlineLength)
        this.fail('too big inline request', offset);
      return -1;
    }
    const end = lf > offset && buffer[lf - 1] === CR ? lf - 1 : lf;
    const args = splitInline(buffer.toString('latin1', offset, end));
    if (args === null) this.fail('unbalanced quotes in request', offset);
    if (args.length > 0) this.emit(args.map((arg) => Buffer.from(arg, 'latin1')));
    return lf + 1;
  }

  private number = 0;

  private readNumber(buffer: Buffer, start: number, frameStart: number): number {
    const cr = buffer.indexOf(CR, start);
    if (cr === -1 || cr + 1 >= buffer.length) {
      if (buffer.length - start > 32) this.fail('invalid length line', frameStart);
      return -1;
    }
    if (buffer[cr + 1] !== LF) this.fail('missing LF after CR', cr + 1);
    const text = buffer.toString('latin1', start, cr);
    if (!/^-?\d{1,19}$/.test(text)) this.fail(`invalid length '${text}'`, frameStart);
    this.number = Number(text);
    return cr + 2;
  }

  private emit(args: Buffer[]): void {
    this.args = [];
    this.onCommand(args);
  }

  private fail(message: string, offset: number): never {
    throw new ProtocolError(message, this.base + offset);
  }
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * Splits an inline command line the way redis-server's sdssplitargs does: spaces separate,
 * "double quotes" take \n \r \t \b \a \xHH escapes, 'single quotes' take \'. Returns null for
 * unbalanced quotes. Works on latin1 text so each char is one byte.
 */
export function splitInline(line: string): string[] | null {
  const args: string[] = [];
  let index = 0;
  while (true) {
    while (index < line.length && /\s/.test(line[index]!)) index++;
    if (index >= line.length) return args;
    let current = '';
    let quote: '"' | "'" | null = null;
    let done = false;
    while (!done) {
      const char = line[index];
      if (quote === null) {
        if (char === undefined || /\s/.test(char)) done = true;
        else if (char === '"' || char === "'") quote = char;
        else current += char;
      } else if (char === undefined) {
        return null;
      } else if (
        quote === '"' &&
        char === '\\' &&
        line[index + 1] === 'x' &&
        isHex(line, index + 2)
      ) {
        current += String.fromCharCode(Number.parseInt(line.slice(index + 2, index + 4), 16));
        index += 3;
      } else if (
        char === '\\' &&
        index + 1 < line.length &&
        (quote === '"' || line[index + 1] === "'")
      ) {
        const escaped = line[++index]!;
        current += quote === '"' ? (escapes[escaped] ?? escaped) : escaped;
      } else if (char === quote) {
        const after = line[index + 1];
        // A closing quote must be followed by a space or the end of the line.
        if (after !== undefined && !/\s/.test(after)) return null;
        quote = null;
        done = true;
      } else {
        current += char;
      }
      index++;
    }
    args.push(current);
  }
}

function isHex(line: string, index: number): boolean {
  return /^[0-9a-fA-F]{2}$/.test(line.slice(index, index + 2));
}
