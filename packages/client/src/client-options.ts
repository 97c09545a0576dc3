import { __internal, type CallOptions, type DialOptions } from '@x/conn';
import type { PoolOptions } from '@x/pool';
import { type CacheOptions, type CacheSettings, readCacheOptions } from './cache/cache-options.js';

const { readCount, readTimeLimit } = __internal;

/** ClientCallOptions limit one call of the client, and say whether it may be sent twice. */
export interface ClientCallOptions extends CallOptions {
  /**
   * The command is safe to run twice (GET, SET k v, ...): when the connection fails after it was
   * written and before its reply came, send it again on the next connection (up to the client's
   * `idempotentRetries`) instead of rejecting with ConnectionError (`sent: true`). `timeoutMs`
   * covers the whole call, waits and attempts together.
   */
  idempotent?: boolean;
}

/** ReconnectOptions shape the wait between connection attempts: capped exponential backoff. */
export interface ReconnectOptions {
  /** The wait after the first failed attempt, at least 1; it doubles with each failure after. Default 50. */
  baseDelayMs?: number;
  /** The longest wait between attempts, at most 2^31 - 1. Default 2,000. */
  maxDelayMs?: number;
}

/** ClientOptions are every dial option, plus how the client waits, retries and reconnects. */
export interface ClientOptions extends Omit<DialOptions, 'signal'> {
  /** Backoff between connection attempts; attempts never stop until close() or destroy(). */
  reconnect?: ReconnectOptions;
  /**
   * How long a command may wait for a connection while the client is connecting or
   * reconnecting; it then rejects with ConnectionError (`sent: false`). A call's own `timeoutMs`
   * or signal can end the wait sooner. 0 or Infinity: wait as long as the call's own limit.
   * Default 10,000.
   */
  offlineWaitMs?: number;
  /**
   * The most commands that may wait for a connection at once; past it a command rejects at once
   * with OfflineQueueFullError. 0 makes every command fail fast while disconnected.
   * Default 100,000.
   */
  maxOfflineCommands?: number;
  /**
   * How many times a command marked `idempotent` is sent again after the connection failed
   * with it written but unanswered. Default 1.
   */
  idempotentRetries?: number;
  /** The pool behind `exclusive()`, dialled with the same options. Defaults: maxActive 10, wait. */
  exclusive?: Omit<PoolOptions, 'dial'>;
  /**
   * Turns on client-side caching: `client.cache.do('GET', key)` answers from memory until the
   * server says the key changed. Needs `protocol: 3`. Default: off.
   */
  cache?: CacheOptions | undefined;
}

/** keepAlivePingMs when caching is on and none is given. */
export const CACHE_KEEP_ALIVE_PING_MS = 5_000;

/** ClientSettings are ClientOptions checked, with every default applied. */
export interface ClientSettings {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly offlineWaitMs: number;
  readonly maxOfflineCommands: number;
  readonly idempotentRetries: number;
  readonly exclusive: Omit<PoolOptions, 'dial'>;
  /** null: no client-side caching. */
  readonly cache: CacheSettings | null;
  /** What is left for dial(). */
  readonly dialOptions: Omit<DialOptions, 'signal'>;
}

/** Checks the client's own options and splits them from the dial options. */
export function readClientOptions(options: ClientOptions): ClientSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('client options must be an object');
  const {
    reconnect = {},
    offlineWaitMs,
    maxOfflineCommands,
    idempotentRetries,
    exclusive = {},
    cache,
    ...dialOptions
  } = options;
  const baseDelayMs = readTimeLimit(reconnect.baseDelayMs, 'reconnect.baseDelayMs', 50);
  const maxDelayMs = readTimeLimit(reconnect.maxDelayMs, 'reconnect.maxDelayMs', 2_000);
  // 0 would retry in a tight loop; past 2^31 - 1 ms setTimeout fires at once.
  if (baseDelayMs < 1)
    throw new RangeError(`reconnect.baseDelayMs must be at least 1, got ${baseDelayMs}`);
  if (maxDelayMs > 2 ** 31 - 1 || (reconnect.maxDelayMs as number) === Number.POSITIVE_INFINITY)
    throw new RangeError(
      `reconnect.maxDelayMs must be at most ${2 ** 31 - 1}, got ${String(reconnect.maxDelayMs)}`,
    );
  if (maxDelayMs < baseDelayMs)
    throw new RangeError(
      `reconnect.maxDelayMs (${maxDelayMs}) must not be less than reconnect.baseDelayMs (${baseDelayMs})`,
    );
  return {
    baseDelayMs,
    maxDelayMs,
    offlineWaitMs: readTimeLimit(offlineWaitMs, 'offlineWaitMs', 10_000),
    maxOfflineCommands:
      maxOfflineCommands === 0 ? 0 : readCount(maxOfflineCommands, 'maxOfflineCommands', 100_000),
    idempotentRetries:
      idempotentRetries === 0 ? 0 : readCount(idempotentRetries, 'idempotentRetries', 1),
    exclusive: { maxActive: 10, wait: true, ...exclusive },
    cache: cache === undefined ? null : readCacheOptions(cache),
    dialOptions,
  };
}

/**
 * The wait before connection attempt `failures + 1`: none after a connection that was up
 * (`failures` 0), then baseDelayMs doubling up to maxDelayMs, each drawn at random from its
 * upper half so that many clients that lost one server do not come back in step.
 */
export function reconnectDelayMs(
  failures: number,
  settings: Pick<ClientSettings, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const ceiling = Math.min(
    settings.maxDelayMs,
    settings.baseDelayMs * 2 ** Math.min(failures - 1, 30),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The options createClient dials a URL with. With a cache, an idle connection is checked
 * (keepAlivePingMs, unless given): one that died without a word, say a NAT forgetting it, would
 * otherwise leave hits served from memory for ever, since hits send nothing.
 */
export function urlDialOptions(settings: ClientSettings): Omit<DialOptions, 'signal'> {
  const { dialOptions } = settings;
  if (settings.cache === null || dialOptions.keepAlivePingMs !== undefined) return dialOptions;
  return { ...dialOptions, keepAlivePingMs: CACHE_KEEP_ALIVE_PING_MS };
}
