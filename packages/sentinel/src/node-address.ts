import { parseRedisUrl } from '@x/conn';

/** A host and port, as sentinels name nodes and each other. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** A sentinel to ask: where it is, and the credentials its URL carried, if any. */
export interface SentinelEndpoint extends NodeAddress {
  username?: string;
  password?: string;
  tls?: boolean;
}

/** `host:port` for messages and keys; IPv6 in brackets. */
export function formatAddress({ host, port }: NodeAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Reads one entry of `sentinels`: `host:port`, `[::1]:26379`, a host alone (port 26379), or a
 * redis:// or rediss:// URL whose credentials are that sentinel's.
 */
export function parseSentinel(entry: unknown): SentinelEndpoint {
  if (typeof entry !== 'string' || entry === '')
    throw new TypeError(
      `each sentinel must be "host:port" or a redis:// URL, got ${entry === '' ? 'an empty string' : typeof entry}`,
    );
  if (entry.includes('://')) {
    const { host = '127.0.0.1', port, username, password, tls, path } = parseRedisUrl(entry);
    if (path !== undefined)
      throw new TypeError('a sentinel must be reached over TCP, not a socket path');
    // parseRedisUrl fills in a data node's 6379; a sentinel's default is 26379.
    const portGiven = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):\d/i.test(entry);
    return {
      host,
      port: portGiven && port !== undefined ? port : 26379,
      ...(username && { username }),
      ...(password && { password }),
      ...(tls && { tls }),
    };
  }
  if (entry.includes('@'))
    throw new TypeError(
      'a sentinel with credentials must be a redis:// URL (not shown: it may contain a password)',
    );
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(entry);
  if (match === null) return { host: entry, port: 26379 };
  const port = Number(match[2]);
  if (port < 1 || port > 65535)
    throw new RangeError(`sentinel port must be from 1 to 65535, got ${port}`);
  return { host: match[1] || '127.0.0.1', port };
}

/** Reads the address a sentinel reports (`ip`, `port` as text); null when it is not one. */
export function reportedAddress(host: unknown, port: unknown): NodeAddress | null {
  const portNumber = Number(String(port));
  if (typeof host !== 'string' || host === '' || !Number.isInteger(portNumber)) return null;
  if (portNumber < 1 || portNumber > 65535) return null;
  return { host, port: portNumber };
}
