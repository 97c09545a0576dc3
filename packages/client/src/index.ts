export { Client, type ClientStatus, type StatusEvent } from './client.js';
export type { ClientCallOptions, ClientOptions, ReconnectOptions } from './client-options.js';
export { createClient } from './create-client.js';
export { NeedsOwnConnectionError, OfflineQueueFullError } from './errors.js';
