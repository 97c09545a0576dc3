/**
 * Plumbing that the toolkit's own packages (@x/pool, @x/pubsub) share, exported as `__internal`.
 * Not part of the public API: it may change in any release. Each export is marked `@internal`.
 *
 * @internal
 */
export { armCallOptions } from './call-guard.js';
export { Queue } from './queue.js';
