import type { ConnectionOptions } from 'node:tls';
import { __internal, type DialOptions } from '@x/conn';
import { type NodeAddress, parseSentinel, type SentinelEndpoint } from './node-address.js';

/** How to reach the sentinels themselves: their own credentials and TLS, apart from the nodes'. */
export interface SentinelConnectOptions {
  /** ACL user on the sentinels; needs `password`. */
  username?: string;
  /** The sentinels' password (Sentinel's `requirepass`), not the data nodes'. */
  password?: string;
  /** `true` or Node's TLS options to reach the sentinels over TLS. */
  tls?: boolean | ConnectionOptions;
  /** Time for one sentinel to connect and answer before the next is asked. Default 1,000 ms. */
  timeoutMs?: number;
}

/**
 * SentinelDialOptions says which master to follow and how. Every `dial()` option other than
 * where to connect applies to the data nodes (password, database, protocol, TLS, time limits);
 * `connectTimeoutMs` bounds a whole dial: asking the sentinels, connecting, and checking ROLE.
 */
export interface SentinelDialOptions
  extends Omit<DialOptions, 'host' | 'port' | 'path' | 'signal'> {
  /** Sentinels to ask, in order: `host:port`, `[::1]:26379`, or a redis:// URL with its credentials. */
  sentinels: readonly string[];
  /** The name the sentinels monitor the master under (`sentinel monitor <name> ...`). */
  masterName: string;
  /** Connect to the master (default), or to a replica for reads. */
  role?: 'master' | 'replica';
  /** How to reach the sentinels. */
  sentinel?: SentinelConnectOptions;
  /**
   * Listen to a sentinel's `+switch-master` while connections are open, to drop the ones to a
   * demoted master at once. An accelerator: lookups work without it. Default true.
   */
  watchFailovers?: boolean;
  /** Add the sentinels the group reports (`SENTINEL sentinels`) to the list. Default true. */
  discoverSentinels?: boolean;
  /** Maps an address a sentinel reports to one this process can reach (NAT, containers). */
  mapAddress?: (address: NodeAddress) => NodeAddress;
  /**
   * Time for a node a sentinel named to connect, finish the handshake and answer ROLE; past it
   * the next sentinel is asked. Default 2,000 ms.
   */
  checkTimeoutMs?: number;
}

/** SentinelDialOptions checked, with defaults applied. */
export interface SentinelSettings {
  sentinels: SentinelEndpoint[];
  masterName: string;
  role: 'master' | 'replica';
  sentinel: Required<Pick<SentinelConnectOptions, 'timeoutMs'>> & SentinelConnectOptions;
  watchFailovers: boolean;
  discoverSentinels: boolean;
  mapAddress: (address: NodeAddress) => NodeAddress;
  /** Options for dial() to the data nodes, host and port added per node. */
  node: Omit<DialOptions, 'host' | 'port' | 'path' | 'signal'>;
  /** The bound of a whole dial, in ms; 0 for none. */
  dialTimeoutMs: number;
  checkTimeoutMs: number;
}

const ownKeys = new Set([
  'sentinels',
  'masterName',
  'role',
  'sentinel',
  'watchFailovers',
  'discoverSentinels',
  'mapAddress',
  'checkTimeoutMs',
]);

/** Checks the options when the dial function is made, so a mistake fails there, not at every reconnect. */
export function readSentinelOptions(options: SentinelDialOptions): SentinelSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('sentinelDial needs options: { sentinels, masterName }');
  const { sentinels, masterName, role = 'master', sentinel = {} } = options;
  if (!Array.isArray(sentinels) || sentinels.length === 0)
    throw new TypeError('sentinels must be a non-empty array of "host:port" or redis:// URLs');
  if (typeof masterName !== 'string' || masterName === '')
    throw new TypeError('masterName must be the name the sentinels monitor the master under');
  if (role !== 'master' && role !== 'replica')
    throw new TypeError(`role must be 'master' or 'replica', got ${String(role)}`);
  for (const where of ['host', 'port', 'path'])
    if ((options as unknown as Record<string, unknown>)[where] !== undefined)
      throw new TypeError(`${where} has no place here: the sentinels say where the ${role} is`);
  const node = Object.fromEntries(
    Object.entries(options).filter(([key, value]) => !ownKeys.has(key) && value !== undefined),
  ) as SentinelSettings['node'];
  const { timeoutMs: dialTimeoutMs } = __internal.checkDialOptions(node);
  if (typeof sentinel !== 'object' || sentinel === null)
    throw new TypeError('sentinel must be an object: { username, password, tls, timeoutMs }');
  const sentinelTimeoutMs = __internal.readTimeLimit(
    sentinel.timeoutMs,
    'sentinel.timeoutMs',
    1_000,
  );
  const { timeoutMs: _timeoutMs, ...sentinelAuth } = sentinel;
  __internal.checkDialOptions(sentinelAuth);
  if (options.mapAddress !== undefined && typeof options.mapAddress !== 'function')
    throw new TypeError('mapAddress must be a function from { host, port } to { host, port }');
  return {
    sentinels: sentinels.map(parseSentinel),
    masterName,
    role,
    sentinel: { ...sentinel, timeoutMs: sentinelTimeoutMs },
    watchFailovers: options.watchFailovers ?? true,
    discoverSentinels: options.discoverSentinels ?? true,
    mapAddress: checkedMap(options.mapAddress),
    node,
    dialTimeoutMs,
    checkTimeoutMs: __internal.readTimeLimit(options.checkTimeoutMs, 'checkTimeoutMs', 2_000),
  };
}

/**
 * The caller's mapAddress, made to throw a TypeError that says what went wrong when it throws or
 * returns something that is not an address; the callers skip that address.
 */
function checkedMap(
  mapAddress: SentinelDialOptions['mapAddress'],
): (address: NodeAddress) => NodeAddress {
  if (mapAddress === undefined) return (address) => address;
  return (address) => {
    let mapped: unknown;
    try {
      mapped = mapAddress({ ...address });
    } catch (error) {
      throw new TypeError(`mapAddress threw for ${address.host}:${address.port}`, { cause: error });
    }
    const { host, port } = (mapped ?? {}) as Partial<NodeAddress>;
    if (
      typeof host !== 'string' ||
      host === '' ||
      !Number.isInteger(port) ||
      port! < 1 ||
      port! > 65535
    )
      throw new TypeError(
        // What it returned is never shown: it may be a URL or an object holding a password.
        `mapAddress must return { host, port } with a port from 1 to 65535 (what it returned is not shown), for ${address.host}:${address.port}`,
      );
    return { host, port: port as number };
  };
}
