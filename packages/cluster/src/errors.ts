import { hasBrand, RedisError } from '@x/resp';

const routingBrand = Symbol.for('@x/cluster/ClusterRoutingError');
const crossSlotBrand = Symbol.for('@x/cluster/CrossSlotError');
const connectBrand = Symbol.for('@x/cluster/ClusterConnectError');

/** One try of a call: the node it went to and what happened there. */
export interface Attempt {
  /** `host:port` of the node. */
  readonly node: string;
  /** What the node said (`MOVED 3999 10.0.0.2:6379`, `TRYAGAIN ...`) or why it was not reached. */
  readonly outcome: string;
}

/**
 * ClusterRoutingError means a call gave up before any node answered it for good: more redirects
 * than `maxRedirects` (`ERR_TOO_MANY_REDIRECTS`), or the cluster stayed down, busy or
 * unreachable for longer than `retryWaitMs` (`ERR_CLUSTER_UNAVAILABLE`). `attempts` names every
 * node tried, in order, and why it did not answer; the message lists them too.
 */
export class ClusterRoutingError extends RedisError {
  override name = 'ClusterRoutingError';
  readonly attempts: readonly Attempt[];
  readonly [routingBrand] = true;

  constructor(
    summary: string,
    code: 'ERR_TOO_MANY_REDIRECTS' | 'ERR_CLUSTER_UNAVAILABLE',
    attempts: readonly Attempt[],
    cause?: unknown,
  ) {
    super(`${summary}: ${describeAttempts(attempts)}`, code, { cause });
    this.attempts = attempts;
  }

  /** Reports whether `value` is a ClusterRoutingError from any copy of @x/cluster. */
  static override is(value: unknown): value is ClusterRoutingError {
    return hasBrand(value, routingBrand);
  }
}

function describeAttempts(attempts: readonly Attempt[]): string {
  const shown = attempts.slice(-10).map((attempt) => `${attempt.node} (${attempt.outcome})`);
  const hidden = attempts.length - shown.length;
  return `${hidden > 0 ? `${hidden} earlier tries, then ` : ''}${shown.join(', ')}`;
}

/**
 * CrossSlotError means a command's keys hash to different slots where they must share one (a
 * transaction, a command the cluster cannot split); it is thrown before anything is sent.
 * `{hash tags}` put keys in one slot: `user:{42}:name` and `user:{42}:email`.
 */
export class CrossSlotError extends RedisError {
  override name = 'CrossSlotError';
  readonly [crossSlotBrand] = true;

  constructor(message: string) {
    super(message, 'ERR_CROSS_SLOT');
  }

  /** Reports whether `value` is a CrossSlotError from any copy of @x/cluster. */
  static override is(value: unknown): value is CrossSlotError {
    return hasBrand(value, crossSlotBrand);
  }
}

/** ClusterConnectError means no seed answered CLUSTER SLOTS with a usable map. */
export class ClusterConnectError extends RedisError {
  override name = 'ClusterConnectError';
  readonly [connectBrand] = true;

  constructor(message: string, cause?: unknown) {
    super(message, 'ERR_CLUSTER_CONNECT', { cause });
  }

  /** Reports whether `value` is a ClusterConnectError from any copy of @x/cluster. */
  static override is(value: unknown): value is ClusterConnectError {
    return hasBrand(value, connectBrand);
  }
}

/**
 * ShardMovedError is the `cause` of a ClusterSubscriber Gap for shard channels: their slot moved
 * to another master (a migration, a failover) and they were subscribed again there, so messages
 * published in between may be missing. `channels` names them; `moves` says `from -> to` for each
 * node pair; `cause` is why the old node was left (its connection error, or the server's own
 * `sunsubscribe` Subscription).
 */
export class ShardMovedError extends RedisError {
  override name = 'ShardMovedError';
  readonly channels: readonly string[];
  readonly moves: readonly string[];

  constructor(channels: readonly string[], moves: readonly string[], cause?: unknown) {
    super(
      `shard channels ${channels.join(', ')} moved (${moves.join(', ')}): messages may be missing`,
      'ERR_SHARD_MOVED',
      { cause },
    );
    this.channels = channels;
    this.moves = moves;
  }
}
