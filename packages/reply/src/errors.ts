import { hasBrand, joinRedisErrorFamily, RedisError } from '@x/resp';

const nilErrorBrand = Symbol.for('@x/reply/NilError');
const replyTypeErrorBrand = Symbol.for('@x/reply/ReplyTypeError');

/** NilError means the reply was nil (a missing key, a null bulk) where a value was needed: Redigo's ErrNil. */
export class NilError extends RedisError {
  override name = 'NilError';
  readonly [nilErrorBrand] = true;

  constructor(helper: string) {
    super(`${helper}: nil reply`, 'ERR_NIL');
  }

  /** Reports whether `value` is a NilError from any copy of @x/reply. */
  static override is(value: unknown): value is NilError {
    return hasBrand(value, nilErrorBrand);
  }
}

/**
 * ReplyTypeError means a reply could not be converted: it names the helper, the expected and the
 * actual type. It is a TypeError (so `instanceof TypeError` keeps working) and a member of the
 * RedisError family: `RedisError.is(error)` and `error instanceof RedisError` hold, `code` is
 * `ERR_REPLY_TYPE`.
 */
export class ReplyTypeError extends TypeError {
  override name = 'ReplyTypeError';
  readonly code = 'ERR_REPLY_TYPE';
  readonly [replyTypeErrorBrand] = true;

  constructor(helper: string, expected: string, actual: unknown) {
    super(`${helper}: expected ${expected}, got ${describeReply(actual)}`);
    joinRedisErrorFamily(this);
  }

  /** Reports whether `value` is a ReplyTypeError from any copy of @x/reply. */
  static is(value: unknown): value is ReplyTypeError {
    return hasBrand(value, replyTypeErrorBrand);
  }

  /** `instanceof` recognises a ReplyTypeError from any copy of @x/reply, as for RedisError. */
  static override [Symbol.hasInstance] = RedisError[Symbol.hasInstance];
}

/** Names a reply's type for error messages, with a short sample of its value. */
export function describeReply(value: unknown): string {
  if (value === null) return 'nil';
  if (Buffer.isBuffer(value)) return `bulk string ${JSON.stringify(sample(value.toString()))}`;
  if (typeof value === 'string') return `simple string ${JSON.stringify(sample(value))}`;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `integer ${value}` : `double ${value}`;
  if (typeof value === 'bigint') return `big integer ${value}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value instanceof Map) return `map of ${value.size}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

function sample(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
