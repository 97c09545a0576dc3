import { __internal, type Connection, dial } from '@x/conn';
import type { Arg, Reply } from '@x/resp';
import type { SentinelEndpoint } from './node-address.js';
import type { SentinelSettings } from './options.js';

/** Opens a RESP2 connection to one sentinel, bounded by the sentinel time limit and `signal`. */
export function dialSentinel(
  endpoint: SentinelEndpoint,
  settings: SentinelSettings,
  signal: AbortSignal,
): Promise<Connection> {
  const { timeoutMs, ...shared } = settings.sentinel;
  return dial(undefined, {
    // A URL's credentials are that sentinel's; the shared ones apply to the rest.
    ...shared,
    ...endpoint,
    // rediss:// says "TLS"; the shared TLS options (CA, certificate) say how: keep them.
    tls:
      endpoint.tls === true && typeof shared.tls === 'object'
        ? shared.tls
        : (endpoint.tls ?? shared.tls ?? false),
    connectTimeoutMs: timeoutMs,
    readTimeoutMs: timeoutMs,
    decoder: { bulkStringsAs: 'string' },
    signal,
  });
}

/**
 * Asks one sentinel `commands` in one round trip and returns the replies, error replies as
 * values. Rejects when it cannot connect or answer within the sentinel time limit.
 */
export async function askSentinel(
  endpoint: SentinelEndpoint,
  settings: SentinelSettings,
  signal: AbortSignal,
  commands: Arg[][],
): Promise<Reply[]> {
  const { timeoutMs } = settings.sentinel;
  const limit =
    timeoutMs === 0 ? signal : AbortSignal.any([signal, __internal.timeoutSignal(timeoutMs)]);
  const conn = await dialSentinel(endpoint, settings, limit);
  try {
    const pipeline = conn.pipeline();
    for (const [command, ...args] of commands) pipeline.send(String(command), ...args);
    const onAbort = () => conn.destroy(limit.reason);
    limit.addEventListener('abort', onAbort, { once: true });
    try {
      return await pipeline.receiveAll();
    } finally {
      limit.removeEventListener('abort', onAbort);
    }
  } finally {
    conn.destroy();
  }
}
