// A type only: clients come from createClient().
export type { Client } from './client.js';
export type { ClientCallOptions, ClientOptions, ReconnectOptions } from './client-options.js';
export { createClient } from './create-client.js';
export { NeedsOwnConnectionError, OfflineQueueFullError } from './errors.js';
export type { ClientStatus, StatusEvent } from './status-events.js';
