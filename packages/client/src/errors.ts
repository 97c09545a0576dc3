import { ConnectionError } from '@x/conn';
import { hasBrand, RedisError } from '@x/resp';

/** What a call (or a cached read) that found no connection within offlineWaitMs rejects with. */
export function notConnectedError(offlineWaitMs: number, cause: unknown): ConnectionError {
  return new ConnectionError(
    `no connection to the server within ${offlineWaitMs} ms (offlineWaitMs): the command was not sent`,
    { cause, code: 'ERR_NOT_CONNECTED' },
  );
}

const needsOwnConnectionBrand = Symbol.for('@x/client/NeedsOwnConnectionError');
const offlineQueueFullBrand = Symbol.for('@x/client/OfflineQueueFullError');

/**
 * NeedsOwnConnectionError refuses a command that would break the shared connection for every
 * other caller, or be lost on the next reconnect: transactions, blocking commands, pub/sub,
 * MONITOR, and commands that change the connection's state (SELECT, AUTH, HELLO, ...).
 */
export class NeedsOwnConnectionError extends RedisError {
  override name = 'NeedsOwnConnectionError';
  readonly [needsOwnConnectionBrand] = true;

  constructor(message: string) {
    super(message, 'ERR_NEEDS_OWN_CONNECTION');
  }

  /** Reports whether `value` is a NeedsOwnConnectionError from any copy of @x/client. */
  static override is(value: unknown): value is NeedsOwnConnectionError {
    return hasBrand(value, needsOwnConnectionBrand);
  }
}

/**
 * OfflineQueueFullError rejects a command issued while the client has no connection and
 * `maxOfflineCommands` commands already wait for one (or `maxOfflineCommands` is 0).
 */
export class OfflineQueueFullError extends RedisError {
  override name = 'OfflineQueueFullError';
  readonly [offlineQueueFullBrand] = true;

  constructor(limit: number, cause: unknown) {
    super(
      limit === 0
        ? 'the client is not connected and maxOfflineCommands is 0: the command was not sent'
        : `the client is not connected and its offline queue is full (maxOfflineCommands: ${limit}): the command was not sent`,
      'ERR_OFFLINE_QUEUE_FULL',
      cause === undefined ? undefined : { cause },
    );
  }

  /** Reports whether `value` is an OfflineQueueFullError from any copy of @x/client. */
  static override is(value: unknown): value is OfflineQueueFullError {
    return hasBrand(value, offlineQueueFullBrand);
  }
}
