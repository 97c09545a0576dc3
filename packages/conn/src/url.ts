/** The connection settings a redis://, rediss:// or unix:// URL carries. */
export interface UrlSettings {
  host?: string;
  port?: number;
  path?: string;
  tls?: boolean;
  username?: string;
  password?: string;
  database?: number;
}

/**
 * Parses `redis://user:pass@host:port/db`, `rediss://...` (TLS) and `unix:///path.sock?db=N`,
 * percent-decoding user and password. Errors never repeat the URL, which may hold a password.
 */
export function parseRedisUrl(text: string): UrlSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError('invalid Redis URL (not shown: it may contain a password)');
  }
  const settings: UrlSettings = {};
  if (url.username) settings.username = decodeURIComponent(url.username);
  if (url.password) settings.password = decodeURIComponent(url.password);
  const database = url.searchParams.get('db');
  switch (url.protocol) {
    case 'redis:':
    case 'rediss:': {
      if (url.protocol === 'rediss:') settings.tls = true;
      // URL keeps brackets around IPv6 hosts; net.connect wants them off.
      settings.host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
      settings.port = url.port ? Number(url.port) : 6379;
      const path = url.pathname.replace(/^\//, '');
      if (path !== '') settings.database = parseDatabase(path);
      else if (database !== null) settings.database = parseDatabase(database);
      return settings;
    }
    case 'unix:':
    case 'redis+unix:': {
      settings.path = decodeURIComponent(url.pathname);
      if (!settings.path) throw new TypeError('unix:// Redis URL without a socket path');
      if (database !== null) settings.database = parseDatabase(database);
      return settings;
    }
    default:
      throw new TypeError(
        `unsupported Redis URL scheme '${url.protocol}' (use redis:, rediss: or unix:)`,
      );
  }
}

function parseDatabase(text: string): number {
  if (!/^\d+$/.test(text)) throw new TypeError(`invalid database number '${text}' in Redis URL`);
  return Number(text);
}
