import { hasBrand, RedisError } from '@x/resp';

const connectionErrorBrand = Symbol.for('@x/conn/ConnectionError');
const timeoutErrorBrand = Symbol.for('@x/conn/TimeoutError');

/**
 * ConnectionError means the connection cannot be used any more: the socket failed or closed, the
 * server hung up, the stream broke RESP, no reply came within `readTimeoutMs`, or `close()` or
 * `destroy()` was called. `cause` holds the original; `sent` tells whether the command was written.
 */
export class ConnectionError extends RedisError {
  override name = 'ConnectionError';
  /**
   * Whether the command of the call that failed was written to the socket. `false` means the
   * server never saw it, so a retry cannot apply it twice; `true` means it may have run.
   */
  readonly sent: boolean;
  readonly [connectionErrorBrand] = true;

  constructor(message: string, options?: ErrorOptions & { code?: string; sent?: boolean }) {
    super(message, options?.code ?? 'ERR_CONNECTION', options);
    this.sent = options?.sent ?? false;
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
