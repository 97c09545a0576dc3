export type { AsyncDisposableConn } from './async-dispose.js';
export { type ConnOptions, DEFAULT_READ_TIMEOUT_MS } from './conn-options.js';
export { Connection } from './connection.js';
export {
  type CommandEndMessage,
  type CommandStartMessage,
  commandEndChannel,
  commandStartChannel,
  tracingChannelNames,
} from './diagnostics.js';
export { type DialOptions, dial } from './dial.js';
export { ConnectionError, NothingPendingError, TimeoutError } from './errors.js';
/** @internal Shared plumbing of the @x packages; not part of the public API. */
export * as __internal from './internals.js';
export { type Logger, newLoggingConn } from './logging-conn.js';
export { newConn } from './new-conn.js';
export type { CommandTraceContext, ConnectTraceContext, TraceTarget } from './trace-context.js';
export type { CallOptions, Conn, DialFunction, Pipeline } from './types.js';
export { parseRedisUrl, type UrlSettings } from './url.js';
