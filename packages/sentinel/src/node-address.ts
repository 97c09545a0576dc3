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
 * Reads one entry of `sentinels`: `host:port`, `[::1]:26379`, a host or IP alone (port 26379,
 * bare IPv6 included), or a redis:// or rediss:// URL whose credentials are that sentinel's.
 * Anything else is refused here, not found out later as a DNS failure at every dial.
 */
export function parseSentinel(entry: unknown): SentinelEndpoint {
  if (typeof entry !== 'string' || entry === '')
    throw new TypeError(
      `each sentinel must be "host:port" or a redis:// URL, got ${entry === '' ? 'an empty string' : typeof entry}`,
    );
  if (entry.includes('://')) return parseSentinelUrl(entry);
  if (entry.includes('@'))
    throw new TypeError(
      'a sentinel with credentials must be a redis:// URL (not shown: it may contain a password)',
    );
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null)
    return { host: bracketed[1] as string, port: readPort(bracketed[2], entry) };
  // Two colons or more without brackets: an IPv6 address alone.
  if (/^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*$/.test(entry)) return { host: entry, port: 26379 };
  const hostPort = /^([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(entry);
  if (hostPort === null)
    throw new TypeError(`a sentinel must be "host:port", "[IPv6]:port" or a URL, got "${entry}"`);
  return { host: hostPort[1] as string, port: readPort(hostPort[2], entry) };
}

function parseSentinelUrl(entry: string): SentinelEndpoint {
  const { host = '127.0.0.1', port, username, password, tls, path } = parseRedisUrl(entry);
  if (path !== undefined)
    throw new TypeError('a sentinel must be reached over TCP, not a socket path');
  // parseRedisUrl fills in a data node's 6379; a sentinel's default is 26379.
  const portGiven = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):\d/i.test(entry);
  if (portGiven && (port === undefined || port < 1))
    throw new RangeError('a sentinel URL needs a port from 1 to 65535');
  return {
    host,
    port: portGiven && port !== undefined ? port : 26379,
    ...(username && { username }),
    ...(password && { password }),
    ...(tls && { tls }),
  };
}

function readPort(text: string | undefined, entry: string): number {
  if (text === undefined) return 26379;
  const port = Number(text);
  if (port < 1 || port > 65535)
    throw new RangeError(`sentinel port must be from 1 to 65535, got ${port} in "${entry}"`);
  return port;
}

/** The same sentinel under two names (`localhost` and 127.0.0.1) counts once. */
export function sameSentinelKey({ host, port }: NodeAddress): string {
  const normal = host.toLowerCase() === 'localhost' ? '127.0.0.1' : host.toLowerCase();
  return `${normal}:${port}`;
}

/** Reads the address a sentinel reports (`ip`, `port` as text); null when it is not one. */
export function reportedAddress(host: unknown, port: unknown): NodeAddress | null {
  const portText = String(port);
  if (typeof host !== 'string' || host === '' || !/^\d{1,5}$/.test(portText)) return null;
  const portNumber = Number(portText);
  if (portNumber < 1 || portNumber > 65535) return null;
  return { host, port: portNumber };
}
