/** RedisArgument is an object that chooses its own wire form, like Redigo's `Argument`. */
export interface RedisArgument {
  toRedisArg(): ScalarArg;
}

/** ScalarArg is one argument as `encodeCommand` accepts it. */
export type ScalarArg = string | number | bigint | boolean | null | Uint8Array | RedisArgument;

/** Arg is a command argument: a scalar, or an array of scalars flattened one level. */
export type Arg = ScalarArg | readonly ScalarArg[];

const CRLF = '\r\n';

/**
 * Converts one argument to the text or bytes sent for it, by the table in DESIGN.md. Throws a
 * TypeError for `undefined`, NaN, plain objects, symbols and functions.
 */
export function argToWire(arg: unknown, position = 0): string | Uint8Array {
  switch (typeof arg) {
    case 'string':
      return arg;
    case 'number':
      return numberToWire(arg, position);
    case 'bigint':
      return arg.toString();
    case 'boolean':
      return arg ? '1' : '0';
    case 'object':
      if (arg === null) return '';
      if (arg instanceof Uint8Array) return arg;
      if (typeof (arg as Partial<RedisArgument>).toRedisArg === 'function') {
        const converted = (arg as RedisArgument).toRedisArg();
        if (
          typeof converted === 'object' &&
          converted !== null &&
          !(converted instanceof Uint8Array)
        ) {
          throw new TypeError(`argument ${position}: toRedisArg() must return a scalar`);
        }
        return argToWire(converted, position);
      }
      throw new TypeError(`argument ${position}: cannot send ${describe(arg)} to Redis`);
    default:
      throw new TypeError(`argument ${position}: cannot send ${describe(arg)} to Redis`);
  }
}

function numberToWire(value: number, position: number): string {
  if (Number.isInteger(value)) {
    // String(1e21) is "1e+21", which Redis rejects as an integer: spell large ones out.
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  }
  if (Number.isNaN(value)) throw new TypeError(`argument ${position}: cannot send NaN to Redis`);
  if (value === Number.POSITIVE_INFINITY) return '+inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return String(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'a nested array';
  if (typeof value === 'object')
    return `an object (${value?.constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}

/** The server's default proto-max-bulk-len: the longest argument redis-server accepts. */
export const MAX_ARG_BYTES = 512 * 1024 * 1024;

/**
 * Converts a command's arguments, flattening arrays one level. Every argument is checked
 * before anything is returned, so a bad one means nothing is written. An argument longer than
 * `maxArgBytes` is a RangeError: the server would drop the connection for it.
 */
export function commandToWire(
  command: readonly Arg[],
  maxArgBytes = MAX_ARG_BYTES,
): (string | Uint8Array)[] {
  return toWire(command, 0, maxArgBytes, undefined);
}

/**
 * `commandToWire([name, ...args])` without building that array first, into an array of exactly
 * the command's length: what a client does for every command it sends.
 */
export function namedCommandToWire(
  name: string,
  args: readonly Arg[],
  maxArgBytes = MAX_ARG_BYTES,
): (string | Uint8Array)[] {
  return toWire(args, 1, maxArgBytes, name);
}

/** `args` converted after `name` (when given); positions in errors count from `first`. */
function toWire(
  args: readonly Arg[],
  first: number,
  maxArgBytes: number,
  name: string | undefined,
): (string | Uint8Array)[] {
  let size = first + args.length;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (Array.isArray(arg)) size += arg.length - 1;
  }
  if (size === 0) throw new TypeError('a command needs at least its name');
  // Sized once: growing from [] would leave a backing store of 17 slots for a 3-word command.
  const wire = new Array<string | Uint8Array>(size);
  let at = 0;
  if (name !== undefined) wire[at++] = checkedPart(name, 0, maxArgBytes);
  for (let index = 0; index < args.length; index++) {
    const arg: unknown = args[index];
    const position = index + first;
    if (Array.isArray(arg)) {
      for (const item of arg) {
        if (Array.isArray(item)) throw new TypeError(`argument ${position}: ${describe(item)}`);
        wire[at++] = checkedPart(item, position, maxArgBytes);
      }
    } else {
      wire[at++] = checkedPart(arg, position, maxArgBytes);
    }
  }
  return wire;
}

function checkedPart(arg: unknown, position: number, maxArgBytes: number): string | Uint8Array {
  const part = argToWire(arg, position);
  // A string has at most 3 UTF-8 bytes per UTF-16 unit, so short ones need no counting.
  const long =
    typeof part === 'string'
      ? part.length * 3 > maxArgBytes && Buffer.byteLength(part) > maxArgBytes
      : part.byteLength > maxArgBytes;
  if (long)
    throw new RangeError(
      `argument ${position} is longer than ${maxArgBytes} bytes, the server's proto-max-bulk-len`,
    );
  return part;
}

/**
 * CommandEncoder collects encoded commands for one write: text is joined into one string and
 * binary arguments are kept by reference, so a large Buffer value is never copied.
 */
export class CommandEncoder {
  private chunks: Buffer[] = [];
  private text = '';
  private size = 0;

  /** Bytes waiting to be taken. */
  get byteLength(): number {
    return this.size;
  }

  /** Appends one command as a RESP array of bulk strings; throws TypeError and appends nothing on a bad argument. */
  add(command: readonly Arg[]): void {
    this.addWire(commandToWire(command));
  }

  /**
   * Appends one command whose arguments `commandToWire` already converted, so a client that
   * converts (and checks) them when the command is issued does not pay for it twice.
   */
  addWire(wire: readonly (string | Uint8Array)[]): void {
    let text = `*${wire.length}${CRLF}`;
    let size = text.length;
    for (const part of wire) {
      if (typeof part === 'string') {
        const bytes = Buffer.byteLength(part);
        const header = `$${bytes}${CRLF}`;
        text += header + part + CRLF;
        size += header.length + bytes + 2;
      } else {
        const header = `$${part.byteLength}${CRLF}`;
        this.pushText(text + header);
        this.chunks.push(toBuffer(part));
        text = CRLF;
        size += header.length + part.byteLength + 2;
      }
    }
    this.text += text;
    this.size += size;
  }

  /** Returns everything added since the last take, as chunks to write in order. */
  take(): Buffer[] {
    this.pushText('');
    const chunks = this.chunks;
    this.chunks = [];
    this.size = 0;
    return chunks;
  }

  private pushText(more: string): void {
    const text = this.text + more;
    this.text = '';
    if (text.length > 0) this.chunks.push(Buffer.from(text, 'utf8'));
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes one command into a single Buffer. */
export function encodeCommand(command: readonly Arg[]): Buffer {
  const encoder = new CommandEncoder();
  encoder.add(command);
  const chunks = encoder.take();
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
