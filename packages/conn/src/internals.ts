/**
 * Plumbing that the toolkit's own packages (@x/pool, @x/pubsub, @x/client) share, exported as
 * `__internal`. Not part of the public API: it may change in any release.
 *
 * @internal
 */
export {
  armCallOptions,
  callSignal,
  checkCallOptions,
  hasCallLimits,
  type Waiter,
  waitInQueue,
} from './call-guard.js';
export {
  blockingAllowanceMs,
  blockOptionAt,
  CommandKind,
  commandKind,
} from './command-kind.js';
export {
  acceptsRequests,
  submitRequest,
  traceSourceOf,
  watchErrorReplies,
} from './connection.js';
export { checkDialOptions } from './dial.js';
export { newRequest } from './new-request.js';
export { ConnPipeline } from './pipeline.js';
export { Queue } from './queue.js';
export { type CarryOver, type Recover, type Request, RequestState } from './request.js';
export { LongTimer, readCount, readTimeLimit, timeoutSignal } from './time-limit.js';
