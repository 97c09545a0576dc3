import { hasBrand, RedisError } from '@x/resp';

const connectionErrorBrand = Symbol.for('@x/conn/ConnectionError');
const timeoutErrorBrand = Symbol.for('@x/conn/TimeoutError');
const nothingPendingErrorBrand = Symbol.for('@x/conn/NothingPendingError');

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

/**
 * TimeoutError means a call, a connect or a read took longer than its time limit. A call whose
 * `signal` is `AbortSignal.timeout(ms)` rejects with that signal's reason instead, a DOMException
 * named 'TimeoutError': `TimeoutError.is()` (and so `instanceof TimeoutError`) recognises it too,
 * since it also means a time limit passed. Its `code` is then the DOMException's number (23), not
 * `ERR_TIMEOUT`.
 */
export class TimeoutError extends RedisError {
  override name = 'TimeoutError';
  readonly [timeoutErrorBrand] = true;

  constructor(message: string) {
    super(message, 'ERR_TIMEOUT');
  }

  /**
   * Reports whether `value` is a TimeoutError from any copy of @x/conn, or the DOMException named
   * 'TimeoutError' with which an `AbortSignal.timeout()` signal aborts.
   */
  static override is(value: unknown): value is TimeoutError {
    return (
      hasBrand(value, timeoutErrorBrand) ||
      (value instanceof DOMException && value.name === 'TimeoutError')
    );
  }
}

/**
 * NothingPendingError means `receive()` was called with nothing it could ever get: no `send`
 * awaits a reply (on the connection, or on that pipeline) and the connection is neither
 * subscribed over RESP2 nor in MONITOR. It rejects at once rather than waiting for ever; the
 * connection stays usable. `code` is `ERR_NOTHING_PENDING`.
 */
export class NothingPendingError extends RedisError {
  override name = 'NothingPendingError';
  readonly [nothingPendingErrorBrand] = true;

  constructor(message: string) {
    super(message, 'ERR_NOTHING_PENDING');
  }

  /** Reports whether `value` is a NothingPendingError from any copy of @x/conn. */
  static override is(value: unknown): value is NothingPendingError {
    return hasBrand(value, nothingPendingErrorBrand);
  }
}
