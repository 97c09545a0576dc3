// A type only: clients come from createClient().

export type { CachedCallOptions, CacheOptions } from './cache/cache-options.js';
export type { CacheStats, ClientCache } from './cache/client-cache.js';
export { ReadonlyReplyMap } from './cache/frozen-reply.js';
export type { Client } from './client.js';
export type { ClientCallOptions, ClientOptions, ReconnectOptions } from './client-options.js';
export { createClient } from './create-client.js';
export { NeedsOwnConnectionError, OfflineQueueFullError } from './errors.js';
/** @internal Shared plumbing of the @x packages; not part of the public API. */
export * as __internal from './internals.js';
export type { ClientStatus, StatusEvent } from './status-events.js';
