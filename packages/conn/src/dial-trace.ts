import type { Connection } from './connection.js';
import { connectTracing } from './diagnostics.js';
import type { ConnectTraceContext } from './trace-context.js';
import type { DialedServer } from './trace-source.js';

/** What a dial needs to describe itself; never the password or the URL, which may hold one. */
interface ConnectTarget extends DialedServer {
  tls?: unknown;
  protocol?: 2 | 3 | undefined;
}

/**
 * Runs `open` as one operation of the `x:conn:connect` TracingChannel: start and end around the
 * call, then error (on failure), asyncStart and asyncEnd when the dial settles.
 */
export function traceConnect(
  target: ConnectTarget,
  open: () => Promise<Connection>,
): Promise<Connection> {
  const path = target.path;
  const context: ConnectTraceContext = {
    serverAddress: path ?? target.host ?? '127.0.0.1',
    serverPort: path === undefined ? (target.port ?? 6379) : undefined,
    database: target.database ?? 0,
    tls: Boolean(target.tls),
    protocol: target.protocol === 3 ? 3 : 2,
  };
  return connectTracing.tracePromise(async () => {
    const conn = await open();
    context.connectionId = conn.id;
    return conn;
  }, context);
}
