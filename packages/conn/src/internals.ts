/**
 * Plumbing that the toolkit's own packages (@x/pool, @x/pubsub) share. Not part of the public
 * API: it may change in any release.
 */
export {
  armCallOptions,
  callSignal,
  hasCallLimits,
  type Waiter,
  waitInQueue,
} from './call-guard.js';
export { Queue } from './queue.js';
export { readCount } from './time-limit.js';
