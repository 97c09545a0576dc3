/** The connection settings a redis://, rediss://, valkey://, valkeys:// or unix:// URL carries. */
export interface UrlSettings {
  host?: string;
  port?: number;
  path?: string;
  tls?: boolean;
  username?: string;
  password?: string;
  database?: number;
}

// Schemes for a server over TCP, and whether each promises TLS (valkey:// is Valkey's name for it).
const tcpSchemes = new Map([
  ['redis:', false],
  ['rediss:', true],
  ['valkey:', false],
  ['valkeys:', true],
]);

const hidden = '(not shown: it may contain a password)';

/**
 * Parses `redis://user:pass@host:port/db`, `rediss://...` (TLS), their Valkey names `valkey://`
 * and `valkeys://` (TLS), and `unix:///path.sock?db=N`. As in Redigo and redis-cli, user info
 * without a colon is the password (`redis://secret@host` sends `AUTH secret`), and a URL without
 * a host (`redis://:6380`, `redis://:pw@/1`) means 127.0.0.1. User and password are
 * percent-decoded. Errors never repeat the URL, which may hold a password.
 */
export function parseRedisUrl(text: string): UrlSettings {
  const parts = /^([a-z][a-z\d+.-]*:)\/\/([^/?#]*)(.*)$/is.exec(text);
  if (parts === null) throw new TypeError(`invalid Redis URL ${hidden}`);
  const [, scheme, authority, rest] = parts as unknown as [string, string, string, string];
  // The WHATWG URL parser refuses an authority without a host, so the credentials are taken out
  // here and a missing host is filled in before it sees the rest.
  const at = authority.lastIndexOf('@');
  const where = authority.slice(at + 1);
  let url: URL;
  try {
    url = new URL(
      `${scheme}//${where === '' || where.startsWith(':') ? `127.0.0.1${where}` : where}${rest}`,
    );
  } catch {
    throw new TypeError(`invalid Redis URL ${hidden}`);
  }
  const settings: UrlSettings = at === -1 ? {} : credentials(authority.slice(0, at));
  const database = url.searchParams.get('db');
  const protocol = url.protocol.toLowerCase();
  const tls = tcpSchemes.get(protocol);
  if (tls !== undefined) {
    if (tls) settings.tls = true;
    // URL keeps brackets around IPv6 hosts; net.connect wants them off.
    settings.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    settings.port = url.port ? Number(url.port) : 6379;
    const path = url.pathname.replace(/^\//, '');
    if (path !== '') settings.database = parseDatabase(path);
    else if (database !== null) settings.database = parseDatabase(database);
    return settings;
  }
  if (protocol === 'unix:' || protocol === 'redis+unix:') {
    settings.path = decodeURIComponent(url.pathname);
    if (!settings.path) throw new TypeError('unix:// Redis URL without a socket path');
    if (database !== null) settings.database = parseDatabase(database);
    return settings;
  }
  throw new TypeError(
    `unsupported Redis URL scheme '${protocol}' (use redis:, rediss:, valkey:, valkeys: or unix:)`,
  );
}

/** `user:password`, `:password`, or a lone `password` as redis-cli reads it; percent-decoded. */
function credentials(userInfo: string): Pick<UrlSettings, 'username' | 'password'> {
  const colon = userInfo.indexOf(':');
  const username = colon === -1 ? '' : decode(userInfo.slice(0, colon));
  const password = decode(colon === -1 ? userInfo : userInfo.slice(colon + 1));
  return {
    ...(username === '' ? {} : { username }),
    ...(password === '' ? {} : { password }),
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError(`invalid percent-encoding in a Redis URL's user info ${hidden}`);
  }
}

function parseDatabase(text: string): number {
  if (!/^\d+$/.test(text)) throw new TypeError(`invalid database number '${text}' in Redis URL`);
  return Number(text);
}
