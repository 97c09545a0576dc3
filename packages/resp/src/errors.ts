/**
 * Errors shared by every @x package. Each class carries a `Symbol.for` brand so that `is()` and
 * `instanceof` recognise an error created by another copy of the package (the CJS build next to
 * the ESM build, or two installed versions), where the prototype chain alone would not.
 */

const redisErrorBrand = Symbol.for('@x/resp/RedisError');
const replyErrorBrand = Symbol.for('@x/resp/ReplyError');
const protocolErrorBrand = Symbol.for('@x/resp/ProtocolError');

/** A class of the family, as `instanceof` sees it: any constructor of T. */
type ErrorClass<T> = abstract new (...args: never[]) => T;

/** Returns true when `value` is an object that carries `brand`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && brand in value;
}

/**
 * Makes `error` a member of the RedisError family (`RedisError.is()` and `instanceof RedisError`
 * hold for it) when its class must extend another built-in error: @x/reply's ReplyTypeError stays
 * a TypeError. The error should carry a stable `code`, as every RedisError does.
 */
export function joinRedisErrorFamily(error: Error & { readonly code: string }): void {
  Object.defineProperty(error, redisErrorBrand, { value: true, enumerable: true });
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

  /**
   * Makes `instanceof` hold across copies: `error instanceof ReplyError` holds for a ReplyError
   * from any copy of the package (as `is()` does), and, as ever, for anything whose prototype
   * chain holds this copy's class. A subclass without an `is()` of its own (one a user declares)
   * keeps the ordinary prototype-chain test, so it never claims its parent's instances.
   */
  static override [Symbol.hasInstance]<T>(this: ErrorClass<T>, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic: instanceof passes the class on its right, often a subclass.
    return isInstance(this, value);
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

/** `instanceof` for a class of the family: by its own `is()` when it has one, else by prototype. */
// Classes whose own is() is running: an is() that uses instanceof itself (a user's subclass)
// gets the prototype-chain answer instead of recursing for ever.
const inIs = new Set<object>();

// Function.prototype[Symbol.hasInstance]: the prototype-chain test a plain `instanceof` makes.
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

function isInstance(errorClass: object, value: unknown): boolean {
  // A primitive is never an instance. A connection asks `reply instanceof ReplyError` of every
  // reply, so the common answers come first: the general path below (a Set kept against
  // recursion, a property lookup) cost about 300 ns for a Buffer, 5.7% of a 100k-command profile.
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  // This package's own classes: their is() is a brand test that cannot recurse.
  const brand = ownBrandOf(errorClass);
  if (brand !== undefined && brand in value) return true;
  // The prototype chain: it holds for this copy's own errors, whatever an is() means.
  if (ordinaryHasInstance.call(errorClass, value)) return true;
  if (brand !== undefined || typeof value !== 'object' || inIs.has(errorClass)) return false;
  const is: unknown = Object.hasOwn(errorClass, 'is') ? Reflect.get(errorClass, 'is') : undefined;
  if (typeof is !== 'function') return false;
  inIs.add(errorClass);
  try {
    return Boolean(is.call(errorClass, value));
  } finally {
    inIs.delete(errorClass);
  }
}

/** The brand that the is() of one of this package's own error classes tests, else undefined. */
function ownBrandOf(errorClass: object): symbol | undefined {
  if (errorClass === ReplyError) return replyErrorBrand;
  if (errorClass === RedisError) return redisErrorBrand;
  if (errorClass === ProtocolError) return protocolErrorBrand;
  return undefined;
}

function errorCodeOf(message: string): string {
  const space = message.indexOf(' ');
  return space === -1 ? message : message.slice(0, space);
}
