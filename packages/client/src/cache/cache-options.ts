import { __internal, type CallOptions } from '@x/conn';

const { readCount, readTimeLimit } = __internal;

/** CacheOptions turn on client-side caching (`client.cache`); they need `protocol: 3`. */
export interface CacheOptions {
  /**
   * `'optin'` (default): the server tracks only the keys the cache reads (`CLIENT TRACKING ON
   * OPTIN`, `CLIENT CACHING YES` before each read). `'bcast'`: the server reports every change
   * to keys under `prefixes` (`CLIENT TRACKING ON BCAST`), and only those keys may be cached.
   */
  mode?: 'optin' | 'bcast' | undefined;
  /** With `mode: 'bcast'`: the key prefixes to follow; none means every key. */
  prefixes?: readonly string[] | undefined;
  /** The most entries kept; the least recently used go first past it. Default 100,000. */
  maxEntries?: number | undefined;
  /** The most bytes kept (an estimate: keys, arguments and values). Default 64 MiB. */
  maxBytes?: number | undefined;
  /**
   * How long an entry may be served from memory at most, in milliseconds; the key's own time to
   * live on the server caps it. Default Infinity: until the server says the key changed (or the
   * key's time to live runs out).
   */
  ttlMs?: number | undefined;
}

/** CachedCallOptions limit one cached read, and may shorten how long its value is kept. */
export interface CachedCallOptions extends CallOptions {
  /** This read's entry lives at most this long (ms); the cache's `ttlMs` when not given. */
  ttlMs?: number | undefined;
}

/** CacheSettings are CacheOptions checked, with every default applied. */
export interface CacheSettings {
  readonly bcast: boolean;
  readonly prefixes: readonly string[];
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** 0: no local limit. */
  readonly ttlMs: number;
}

/** Checks `cache` and applies the defaults; TypeError or RangeError naming the bad value. */
export function readCacheOptions(cache: CacheOptions): CacheSettings {
  if (typeof cache !== 'object' || cache === null || Array.isArray(cache))
    throw new TypeError('cache must be an object of cache options');
  const { mode = 'optin', prefixes = [] } = cache;
  if (mode !== 'optin' && mode !== 'bcast')
    throw new RangeError(`cache.mode must be 'optin' or 'bcast', got ${String(mode)}`);
  if (!Array.isArray(prefixes) || prefixes.some((prefix) => typeof prefix !== 'string'))
    throw new TypeError('cache.prefixes must be an array of strings');
  if (mode === 'optin' && prefixes.length > 0)
    throw new TypeError("cache.prefixes needs mode: 'bcast' (OPTIN tracks the keys it reads)");
  // The server refuses tracking for prefixes that overlap, and would refuse every connection.
  for (const [index, prefix] of prefixes.entries())
    for (const other of prefixes.slice(index + 1))
      if (prefix.startsWith(other) || other.startsWith(prefix))
        throw new RangeError(
          `cache.prefixes must not overlap (the server refuses it): ${JSON.stringify(prefix)} and ${JSON.stringify(other)}`,
        );
  return {
    bcast: mode === 'bcast',
    prefixes: [...prefixes],
    maxEntries: readCount(cache.maxEntries, 'cache.maxEntries', 100_000),
    maxBytes: readCount(cache.maxBytes, 'cache.maxBytes', 64 * 1024 * 1024),
    ttlMs: readEntryTtl(cache.ttlMs, 'cache.ttlMs', 0),
  };
}

/** A time to live: more than 0 ms, Infinity for none (read as 0). */
export function readEntryTtl(value: unknown, name: string, fallback: number): number {
  if (value === 0) throw new RangeError(`${name} must be more than 0 ms (Infinity: no limit)`);
  return readTimeLimit(value, name, fallback);
}

/** The words after CLIENT that turn tracking on for these settings. */
export function trackingCommand(settings: CacheSettings): string[] {
  if (!settings.bcast) return ['TRACKING', 'ON', 'OPTIN'];
  return ['TRACKING', 'ON', 'BCAST', ...settings.prefixes.flatMap((prefix) => ['PREFIX', prefix])];
}
