import type { ClientCallOptions, ClientOptions } from '@x/client';
import { __internal, type DialOptions, parseRedisUrl } from '@x/conn';
import { type NatMap, type NodeAddress, parseAddress } from './node-address.js';

const { readCount, readTimeLimit } = __internal;

/** Where reads go: the slot's master (default), or one of its replicas (READONLY). */
export type ReadFrom = 'master' | 'replica';

/** ClusterCallOptions limit one call, and may send a read to a replica. */
export interface ClusterCallOptions extends ClientCallOptions {
  /** Overrides the cluster's `readFrom` for this call (read-only commands only). */
  readFrom?: ReadFrom;
}

/**
 * ClusterOptions: where to start, every @x/client option (applied to each node's client), and
 * how the cluster routes, redirects and refreshes.
 */
export interface ClusterOptions extends Omit<ClientOptions, 'cache' | 'database'> {
  /**
   * Nodes to ask for the cluster's map: URLs (`redis://user:pass@10.0.0.1:7000`, `rediss://…`)
   * or `host:port`. Credentials and TLS in the first URL apply to every node (options override).
   */
  seeds: readonly string[];
  /** Turns reported node addresses into reachable ones (NAT, Docker, Kubernetes). */
  natMap?: NatMap;
  /** Where read-only commands go by default. Default 'master'. */
  readFrom?: ReadFrom;
  /** MOVED and ASK replies one call follows before it gives up. Default 5. */
  maxRedirects?: number;
  /**
   * How long a call keeps trying, with backoff, while the cluster answers CLUSTERDOWN, TRYAGAIN or
   * LOADING, or its node cannot be reached (a failover in progress). Default 10,000 (a failover
   * takes about cluster-node-timeout plus an election). 0 or Infinity: no limit but the call's own.
   */
  retryWaitMs?: number;
  /** Least time between two map refreshes, however many ask. Default 100. */
  minRefreshIntervalMs?: number;
  /** A refresh this often even when nothing asks; 0 or Infinity for none. Default 30,000. */
  refreshIntervalMs?: number;
}

/** ClusterSettings are ClusterOptions checked, with defaults applied. */
export interface ClusterSettings {
  readonly seeds: readonly SeedAddress[];
  readonly natMap: NatMap | undefined;
  readonly readFrom: ReadFrom;
  readonly maxRedirects: number;
  readonly retryWaitMs: number;
  readonly minRefreshIntervalMs: number;
  readonly refreshIntervalMs: number;
  readonly clientOptions: ClientOptions;
  readonly dialOptions: Omit<DialOptions, 'signal' | 'host' | 'port' | 'path'>;
}

/** A seed: its address, and the seed text for messages (without credentials). */
export interface SeedAddress extends NodeAddress {
  readonly shown: string;
}

// The options that belong to each node's Client rather than to its dial.
const clientKeys = [
  'reconnect',
  'offlineWaitMs',
  'maxOfflineCommands',
  'idempotentRetries',
  'exclusive',
] as const;

/** Checks the options and splits them into node-client and dial options. */
export function readClusterOptions(options: ClusterOptions): ClusterSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('Cluster.connect needs options: { seeds: ["redis://host:port"] }');
  const {
    seeds,
    natMap,
    readFrom = 'master',
    maxRedirects,
    retryWaitMs,
    minRefreshIntervalMs,
    refreshIntervalMs,
    ...rest
  } = options as ClusterOptions & { cache?: unknown; database?: unknown; path?: unknown };
  if ('cache' in rest && rest.cache !== undefined)
    throw new TypeError('client-side caching is not offered by the cluster client yet');
  if (rest.database !== undefined && rest.database !== 0)
    throw new TypeError(`a cluster has only database 0, got database ${String(rest.database)}`);
  if ('path' in rest && rest.path !== undefined)
    throw new TypeError('cluster nodes are reached over TCP: remove `path`');
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((seed) => typeof seed !== 'string'))
    throw new TypeError('seeds must be a non-empty array of URLs or host:port strings');
  if (readFrom !== 'master' && readFrom !== 'replica')
    throw new TypeError(`readFrom must be 'master' or 'replica', got ${String(readFrom)}`);
  if (natMap !== undefined && typeof natMap !== 'function' && typeof natMap !== 'object')
    throw new TypeError('natMap must be an object keyed by host:port, or a function');

  const parsed = seeds.map(readSeed);
  const fromUrl = parsed[0]?.settings ?? {};
  const clientOptions: Record<string, unknown> = {};
  const dialOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || key === 'host' || key === 'port' || key === 'database') continue;
    if ((clientKeys as readonly string[]).includes(key)) clientOptions[key] = value;
    else dialOptions[key] = value;
  }
  return {
    seeds: parsed.map((seed) => seed.address),
    natMap,
    readFrom,
    maxRedirects: maxRedirects === 0 ? 0 : readCount(maxRedirects, 'maxRedirects', 5),
    // 0 and Infinity mean no limit, as for every time limit of the toolkit.
    retryWaitMs: readTimeLimit(retryWaitMs, 'retryWaitMs', 10_000) || Number.POSITIVE_INFINITY,
    minRefreshIntervalMs: timerDelay(
      readTimeLimit(minRefreshIntervalMs, 'minRefreshIntervalMs', 100),
      'minRefreshIntervalMs',
    ),
    // 0 and Infinity: no periodic refresh.
    refreshIntervalMs: readTimeLimit(refreshIntervalMs, 'refreshIntervalMs', 30_000),
    clientOptions: clientOptions as ClientOptions,
    dialOptions: {
      ...(fromUrl.username === undefined ? {} : { username: fromUrl.username }),
      ...(fromUrl.password === undefined ? {} : { password: fromUrl.password }),
      ...(fromUrl.tls === undefined ? {} : { tls: fromUrl.tls }),
      ...dialOptions,
    },
  };
}

/** A delay setTimeout can wait: past 2^31 - 1 ms it would fire at once, again and again. */
function timerDelay(ms: number, name: string): number {
  if (ms > 2 ** 31 - 1)
    throw new RangeError(`${name} must be at most ${2 ** 31 - 1} ms (about 24.8 days), got ${ms}`);
  return ms;
}

function readSeed(text: string): {
  address: SeedAddress;
  settings: ReturnType<typeof parseRedisUrl>;
} {
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(text)) {
    const settings = parseRedisUrl(text);
    if (settings.path !== undefined)
      throw new TypeError('a cluster seed must be a TCP address, not a Unix socket');
    if (settings.database !== undefined && settings.database !== 0)
      throw new TypeError('a cluster has only database 0: remove the database from the seed URL');
    const host = settings.host ?? '127.0.0.1';
    const port = settings.port ?? 6379;
    return { address: { host, port, shown: `${host}:${port}` }, settings };
  }
  const address = parseAddress(text, '127.0.0.1');
  if (address === null) throw new TypeError(`a seed must be a URL or host:port, got ${text}`);
  return { address: { ...address, shown: `${address.host}:${address.port}` }, settings: {} };
}
