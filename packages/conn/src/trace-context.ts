import type { Connection } from './connection.js';

/**
 * Where a connection sends its commands, as traces show it. The fields follow OpenTelemetry's
 * `server.address`, `server.port` and `db.namespace`.
 */
export interface TraceTarget {
  /** `Connection.id`; 0 for a client's command issued while it has no connection. */
  readonly connectionId: number;
  /** The host name or IP address dialled, or the Unix socket path; undefined when unknown. */
  readonly serverAddress: string | undefined;
  /** The TCP port; undefined for a Unix socket. */
  readonly serverPort: number | undefined;
  /** The database selected by the dial (a later `SELECT` is not followed). */
  readonly database: number;
}

/**
 * CommandTraceContext is the context object of the `x:conn:command` TracingChannel: the same
 * object goes to start, end, then error (on failure), asyncStart and asyncEnd. Arguments of
 * AUTH, HELLO, ACL, CONFIG and MIGRATE are '?'; replies and errors that may hold a password are
 * redacted as in the rest of the package.
 */
export interface CommandTraceContext extends TraceTarget {
  /** The command name, upper case: `GET`, `CONFIG`. */
  readonly command: string;
  /** The arguments as given (not converted), or '?' for each one of a secret command. */
  readonly args: readonly unknown[];
  /** The reply, set before asyncStart when the command succeeds. */
  result?: unknown;
  /**
   * Set before the error event: a `ReplyError` (redacted), a `ConnectionError`, a
   * `TimeoutError`, or an aborted signal's reason.
   */
  error?: unknown;
}

/** ConnectTraceContext is the context object of the `x:conn:connect` TracingChannel (`dial`). */
export interface ConnectTraceContext {
  /** The host name or IP address, or the Unix socket path. */
  readonly serverAddress: string;
  /** The TCP port; undefined for a Unix socket. */
  readonly serverPort: number | undefined;
  /** The database the dial selects. */
  readonly database: number;
  /** True for TLS. */
  readonly tls: boolean;
  /** The protocol asked for: 2 or 3. */
  readonly protocol: 2 | 3;
  /** The new connection's id, set before asyncStart when the dial succeeds. */
  connectionId?: number;
  /** The connection, set before asyncStart when the dial succeeds. */
  result?: Connection;
  /** Set before the error event when the dial fails. */
  error?: unknown;
}
