/**
 * Errors shared by every @x package. Each class carries a `Symbol.for` brand so that `is()`
 * recognises an error created by another copy of the package (the CJS build next to the ESM
 * build, or two installed versions), where `instanceof` would fail.
 */

const redisErrorBrand = Symbol.for('@x/resp/RedisError');
const replyErrorBrand = Symbol.for('@x/resp/ReplyError');
const protocolErrorBrand = Symbol.for('@x/resp/ProtocolError');

/** Returns true when `value` is an object that carries `brand`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && brand in value;
}

/** RedisError is the base class of every error raised by the @x packages. */
export class RedisError extends Error {
  override name = 'RedisError';
  /** A stable, machine-readable identifier of the failure. */
  readonly code: string;
  readonly [redisErrorBrand] = true;

  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** Reports whether `value` is a RedisError from any copy of @x/resp. */
  static is(value: unknown): value is RedisError {
    return hasBrand(value, redisErrorBrand);
  }
}

/**
 * ReplyError is an error reply sent by the server (`-ERR ...` or a RESP3 blob error). It is a
 * value, never fatal to the connection. `code` is the first word of the message, such as
 * `WRONGTYPE`, `NOSCRIPT` or `MOVED`.
 */
export class ReplyError extends RedisError {
  override name = 'ReplyError';
  readonly [replyErrorBrand] = true;

  constructor(message: string) {
    super(message, errorCodeOf(message));
  }

  /** Reports whether `value` is a ReplyError from any copy of @x/resp. */
  static override is(value: unknown): value is ReplyError {
    return hasBrand(value, replyErrorBrand);
  }
}

/**
 * ProtocolError means the bytes received break the RESP grammar or a configured limit. The
 * stream cannot be trusted after it, so the decoder (and the connection using it) stop.
 */
export class ProtocolError extends RedisError {
  override name = 'ProtocolError';
  /** The byte offset in the stream where the problem was found. */
  readonly offset: number;
  readonly [protocolErrorBrand] = true;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, 'ERR_PROTOCOL', options);
    this.offset = offset;
  }

  /** Reports whether `value` is a ProtocolError from any copy of @x/resp. */
  static override is(value: unknown): value is ProtocolError {
    return hasBrand(value, protocolErrorBrand);
  }
}

function errorCodeOf(message: string): string {
  const space = message.indexOf(' ');
  return space === -1 ? message : message.slice(0, space);
}
