/**
 * Plumbing that the toolkit's own packages (@x/cluster) share, exported as `__internal`. Not part
 * of the public API: it may change in any release.
 *
 * @internal
 */
export { DEFAULT_MAX_BUFFERED_REPLIES, EventQueue, type FlowControl } from './event-queue.js';
