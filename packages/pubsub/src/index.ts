export { SubscriptionRefusedError } from './errors.js';
export {
  Message,
  PMessage,
  Pong,
  type PubSubEvent,
  Subscription,
  type SubscriptionKind,
} from './events.js';
export * as __internal from './internals.js';
export { PubSubConn, type PubSubOptions, type PubSubTransport } from './pubsub-conn.js';
export { Gap, Subscriber, type SubscriberEvent, type SubscriberOptions } from './subscriber.js';
