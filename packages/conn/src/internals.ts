/**
 * Plumbing that the toolkit's own packages (@x/pool, @x/pubsub) share. Not part of the public
 * API: it may change in any release.
 */
export { armCallOptions } from './call-guard.js';
export { Queue } from './queue.js';
