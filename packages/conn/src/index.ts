export { armCallOptions } from './call-guard.js';
export { Connection, type ConnOptions } from './connection.js';
export {
  type CommandEndMessage,
  type CommandStartMessage,
  commandEndChannel,
  commandStartChannel,
} from './diagnostics.js';
export { type DialOptions, dial } from './dial.js';
export { ConnectionError, TimeoutError } from './errors.js';
export { type Logger, newLoggingConn } from './logging-conn.js';
export { newConn } from './new-conn.js';
export { Queue } from './queue.js';
export type { CallOptions, Conn, Pipeline } from './types.js';
export { parseRedisUrl, type UrlSettings } from './url.js';
