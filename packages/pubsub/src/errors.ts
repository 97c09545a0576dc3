import { RedisError, type ReplyError } from '@x/resp';

const refusedBrand = Symbol.for('@x/pubsub/SubscriptionRefusedError');

/**
 * SubscriptionRefusedError goes to a Subscriber's `onReconnectError` when the server refuses, on
 * a new connection, a channel, pattern or shard channel the subscriber held before (NOPERM after
 * an ACL change, MOVED after a shard channel's slot moved). The subscriber has forgotten it;
 * `cause` is the server's error. Code `ERR_SUBSCRIPTION_REFUSED`.
 */
export class SubscriptionRefusedError extends RedisError {
  override name = 'SubscriptionRefusedError';
  readonly [refusedBrand] = true;

  constructor(
    /** The command refused: SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE. */
    readonly command: string,
    /** The channel (or pattern) forgotten. */
    readonly channel: string,
    cause: ReplyError,
  ) {
    super(
      `${command} ${channel} refused on reconnection, so forgotten: ${cause.message}`,
      'ERR_SUBSCRIPTION_REFUSED',
      { cause },
    );
  }

  /** Reports whether `value` is a SubscriptionRefusedError from any copy of @x/pubsub. */
  static override is(value: unknown): value is SubscriptionRefusedError {
    return typeof value === 'object' && value !== null && refusedBrand in value;
  }
}
