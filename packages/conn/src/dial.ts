import { AsyncLocalStorage } from 'node:async_hooks';
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type Reply, ReplyError } from '@x/resp';
import { type ConnOptions, readConnOptions } from './conn-options.js';
import { Connection, traceSourceOf } from './connection.js';
import { connectTracing, redactText } from './diagnostics.js';
import { traceConnect } from './dial-trace.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { readTimeLimit, timeoutSignal } from './time-limit.js';
import { parseRedisUrl, type UrlSettings } from './url.js';

/** DialOptions says where and how to connect; every field has a default. */
export interface DialOptions extends ConnOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 6379. */
  port?: number;
  /** A Unix socket path; used instead of host and port. */
  path?: string;
  /** `true` or Node's TLS options to connect with TLS. Certificates are verified unless you say otherwise. */
  tls?: boolean | ConnectionOptions;
  /** ACL user name; needs `password`. */
  username?: string;
  password?: string;
  /** Database to SELECT after connecting. Default 0. */
  database?: number;
  /** Name set with CLIENT SETNAME (or HELLO SETNAME). */
  clientName?: string;
  /** Time allowed for connect, TLS and handshake together. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. Default 300,000 ms, as Redigo. */
  keepAliveMs?: number;
  /** Disable Nagle's algorithm. Default true. */
  noDelay?: boolean;
  /** Aborts the dial. */
  signal?: AbortSignal;
}

/**
 * Connects to Redis and resolves to a ready Connection: connected, TLS done, authenticated,
 * named and on its database. `address` is a URL (`redis://user:pass@host:6379/0`, `rediss://`,
 * `valkey://`, `valkeys://`, `unix:///run/redis.sock?db=2`; see parseRedisUrl), `host:port`, a
 * socket path, or left out for options alone.
 */
export async function dial(address?: string, options: DialOptions = {}): Promise<Connection> {
  const { settings, limits } = dialSettings(address, options);
  if (!connectTracing.hasSubscribers) return open(settings, limits);
  // Stores bound to the channel are entered for the dial, not for the connection's life: the
  // socket, whose events (replies, pushes) run in the context it was made in, is made outside.
  const outside = AsyncLocalStorage.snapshot();
  return traceConnect(settings, () => open(settings, limits, outside));
}

/** Runs `make` in some async context; by default the current one. */
type ContextRunner = <T>(make: () => T) => T;
const here: ContextRunner = (make) => make();

/** The time limits of a dial, read once by checkDialOptions. */
type DialLimits = ReturnType<typeof checkDialOptions>;

/** The settings of a dial and its time limits, checked before anything connects. */
function dialSettings(
  address: string | undefined,
  options: DialOptions,
): { settings: DialOptions; limits: DialLimits } {
  const fromAddress = addressSettings(address);
  const settings: DialOptions = { ...fromAddress, ...withoutUndefined(options) };
  // A rediss:// or valkeys:// URL promises TLS; an option must not quietly send the password in
  // plain text.
  if (fromAddress.tls === true && !settings.tls)
    throw new TypeError(
      'a rediss:// or valkeys:// URL needs TLS: remove `tls: false` or use redis:// or valkey://',
    );
  return { settings, limits: checkDialOptions(settings) };
}

/** Connects, then runs the handshake: the dial proper. */
async function open(
  settings: DialOptions,
  { timeoutMs, keepAliveMs }: DialLimits,
  makeSocketIn: ContextRunner = here,
): Promise<Connection> {
  const deadline = timeoutSignal(timeoutMs === 0 ? 2 ** 31 - 1 : timeoutMs);
  const signal = settings.signal ? AbortSignal.any([settings.signal, deadline]) : deadline;
  const whyAborted = () =>
    settings.signal?.aborted
      ? settings.signal.reason
      : new TimeoutError(`connect timed out after ${timeoutMs} ms`);

  const socket = await openSocket(settings, signal, whyAborted, makeSocketIn);
  if (settings.noDelay !== false) socket.setNoDelay(true);
  // Infinity, like 0, means no keep-alive probes: setKeepAlive would take it as the OS default.
  if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);

  let conn: Connection;
  try {
    conn = new Connection(socket, settings);
    traceSourceOf(conn).dialed(settings);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  try {
    await handshake(conn, settings, signal);
  } catch (error) {
    conn.destroy();
    throw signal.aborted ? whyAborted() : error;
  }
  return conn;
}

/**
 * Checks every dial option, throwing a TypeError or RangeError that names the first bad one, and
 * returns the time limits: dial() runs it before it opens a socket, a dial factory when it is made.
 */
export function checkDialOptions(settings: DialOptions): {
  timeoutMs: number;
  keepAliveMs: number;
} {
  const timeoutMs = readTimeLimit(settings.connectTimeoutMs, 'connectTimeoutMs', 10_000);
  // Infinity, like 0, means no keep-alive probes: setKeepAlive would take it as the OS default.
  const keepAliveMs = readTimeLimit(settings.keepAliveMs, 'keepAliveMs', 300_000);
  readConnOptions(settings);
  checkWhere(settings);
  checkKinds(settings);
  if (settings.username !== undefined && settings.password === undefined)
    throw new TypeError(
      'username needs a password: without one the connection would be user "default"',
    );
  if (settings.tls && settings.path !== undefined)
    throw new TypeError('TLS over a Unix socket path is not supported: give host and port');
  return { timeoutMs, keepAliveMs };
}

/** Refuses a port or database that is not a whole number in range, before any socket opens. */
function checkWhere(settings: DialOptions): void {
  const { port, database } = settings;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new RangeError(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  if (database !== undefined && !(Number.isSafeInteger(database) && database >= 0))
    throw new RangeError(`database must be a whole number of 0 or more, got ${String(database)}`);
}

/** Refuses string and boolean options of another type, which would be sent or used as text. */
function checkKinds(settings: DialOptions): void {
  for (const name of ['host', 'path', 'username', 'password', 'clientName'] as const) {
    const value = settings[name];
    // The value is never shown: it may be a password.
    if (value !== undefined && typeof value !== 'string')
      throw new TypeError(
        `${name} must be a string, got ${value === null ? 'null' : typeof value}`,
      );
  }
  if (settings.noDelay !== undefined && typeof settings.noDelay !== 'boolean')
    throw new TypeError(`noDelay must be true or false, got ${typeof settings.noDelay}`);
}

function addressSettings(address: string | undefined): UrlSettings {
  if (address === undefined || address === '') return {};
  if (address.includes('://')) return parseRedisUrl(address);
  if (address.startsWith('/')) return { path: address };
  // user:password@host:port without a scheme: never echo it, it holds a password.
  if (address.includes('@'))
    throw new TypeError(
      'an address with credentials must be a redis://, rediss://, valkey:// or valkeys:// URL (not shown: it may contain a password)',
    );
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (match === null) return { host: address };
  return { host: match[1] || '127.0.0.1', port: Number(match[2]) };
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

function openSocket(
  settings: DialOptions,
  signal: AbortSignal,
  whyAborted: () => unknown,
  makeSocketIn: ContextRunner,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal.aborted) return reject(whyAborted());
    const host = settings.host ?? '127.0.0.1';
    const port = settings.port ?? 6379;
    let socket: Socket;
    let readyEvent = 'connect';
    if (settings.path !== undefined) {
      const path = settings.path;
      socket = makeSocketIn(() => netConnect({ path }));
    } else if (settings.tls) {
      const tlsOptions = settings.tls === true ? {} : settings.tls;
      const servername = isIp(host) ? undefined : host;
      socket = makeSocketIn(() => tlsConnect({ servername, ...tlsOptions, host, port }));
      readyEvent = 'secureConnect';
    } else {
      socket = makeSocketIn(() => netConnect({ host, port }));
    }
    const where = settings.path ?? `${host}:${port}`;
    const onAbort = () => {
      socket.destroy();
      reject(whyAborted());
    };
    const onError = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(new ConnectionError(`cannot connect to ${where}: ${error.message}`, { cause: error }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * Authenticates, names the connection and selects the database in one round trip: with
 * protocol 3, `HELLO 3 AUTH user pass SETNAME name`; with 2, `AUTH`, `CLIENT SETNAME`. Then SELECT.
 */
async function handshake(
  conn: Connection,
  settings: DialOptions,
  signal: AbortSignal,
): Promise<void> {
  const { password, username, clientName, database } = settings;
  if (settings.protocol === 3) {
    const auth = password === undefined ? [] : ['AUTH', username ?? 'default', password];
    conn.send('HELLO', 3, ...auth, ...(clientName === undefined ? [] : ['SETNAME', clientName]));
  } else {
    if (password !== undefined)
      conn.send('AUTH', ...(username === undefined ? [] : [username]), password);
    if (clientName !== undefined) conn.send('CLIENT', 'SETNAME', clientName);
  }
  if (database !== undefined && database !== 0) conn.send('SELECT', database);
  const replies = (await conn.doWith({ signal }, '')) as Reply[] | null;
  const failure = replies?.find((reply) => reply instanceof ReplyError);
  if (failure === undefined) return;
  if (
    settings.protocol === 3 &&
    replies?.[0] === failure &&
    /unknown command/i.test(failure.message)
  )
    throw new ReplyError('ERR the server does not know HELLO: protocol 3 needs Redis 6 or newer');
  // Servers echo the arguments of a command they refuse; AUTH and HELLO carry the password.
  throw new ReplyError(redactText(failure.message, [password, username]));
}
