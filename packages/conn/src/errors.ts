import { hasBrand, RedisError } from '@x/resp';

const connectionErrorBrand = Symbol.for('@x/conn/ConnectionError');
const timeoutErrorBrand = Symbol.for('@x/conn/TimeoutError');

/**
 * ConnectionError means the connection cannot be used any more: the socket failed or closed, the
 * server hung up, the stream broke RESP, or `close()` was called. `cause` holds the original.
 */
export class ConnectionError extends RedisError {
  override name = 'ConnectionError';
  readonly [connectionErrorBrand] = true;

  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options?.code ?? 'ERR_CONNECTION', options);
  }

  /** Reports whether `value` is a ConnectionError from any copy of @x/conn. */
  static override is(value: unknown): value is ConnectionError {
    return hasBrand(value, connectionErrorBrand);
  }
}

/** TimeoutError means a call, a connect or a read took longer than its time limit. */
export class TimeoutError extends RedisError {
  override name = 'TimeoutError';
  readonly [timeoutErrorBrand] = true;

  constructor(message: string) {
    super(message, 'ERR_TIMEOUT');
  }

  /** Reports whether `value` is a TimeoutError from any copy of @x/conn. */
  static override is(value: unknown): value is TimeoutError {
    return hasBrand(value, timeoutErrorBrand);
  }
}
