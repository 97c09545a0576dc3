export { Client, type ClientStatus, createClient, type StatusEvent } from './client.js';
export type { ClientCallOptions, ClientOptions, ReconnectOptions } from './client-options.js';
export { NeedsOwnConnectionError, OfflineQueueFullError } from './errors.js';
