import {
  type CallOptions,
  type Connection,
  ConnectionError,
  __internal as connInternal,
  type DialOptions,
} from '@x/conn';
import { __internal, Subscriber, type SubscriberEvent } from '@x/pubsub';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { type NodeAddress, parseAddress } from './node-address.js';
import { dialNode } from './node-clients.js';
import { type NodeHooks, ShardSubscriptions } from './shard-subscriptions.js';
import type { SlotMap } from './slot-map.js';

/** ClusterSubscriberOptions tune `cluster.subscriber()`. */
export interface ClusterSubscriberOptions {
  /** The protocol of the subscriber's connections. Default: the cluster's `protocol` option. */
  protocol?: 2 | 3;
  /**
   * Events buffered for slow readers before the subscriber stops reading its connections (the
   * servers then hold further messages). Default 10,000, as @x/pubsub's Subscriber.
   */
  maxBufferedReplies?: number;
  /** First wait before a connection is made again; doubles each failed try. Default 50 ms. */
  minBackoffMs?: number;
  /** Longest wait between tries. Default 5,000 ms. */
  maxBackoffMs?: number;
  /**
   * How long a subscribe waits for a master to take it (the slot's owner for `ssubscribe`, any
   * master otherwise) while the cluster fails over or is unreachable, before it rejects with a
   * ClusterRoutingError (`ERR_CLUSTER_UNAVAILABLE`) and forgets what it asked for. Default: the
   * cluster's `retryWaitMs` (10,000 ms).
   */
  subscribeWaitMs?: number;
  /**
   * Every connection of the subscriber PINGs after this long without traffic, and is dropped when
   * no answer comes within the same time: a master that hangs (frozen, or cut off without a reset)
   * would otherwise keep its subscriptions deaf for ever. The map is looked at again as often, so a
   * slot that moved, or a master that left the map, is followed. Default 1,000 ms (the cluster's
   * `keepAlivePingMs` when that is set); 0 turns both off.
   */
  keepAlivePingMs?: number;
  /** Called with each failed reconnection: the error and the node (null: the channels' master). */
  onReconnectError?: (error: unknown, node: string | null) => void;
}

/** What a ClusterSubscriber needs of its Cluster; `cluster.subscriber()` provides it. */
export interface SubscriberHost {
  readonly map: () => SlotMap;
  readonly refresh: () => Promise<void>;
  readonly dialOptions: Omit<DialOptions, 'signal' | 'host' | 'port' | 'path'>;
  readonly retryWaitMs: number;
}

/**
 * ClusterSubscriber is @x/pubsub's Subscriber for a Redis Cluster. Channels and patterns live on
 * one connection to any master (the cluster passes every PUBLISH to every node); when it drops,
 * the next master in the map is dialled. Shard channels live on a connection to the master of
 * each one's slot, one per master. After a failover or a slot move, shard channels are
 * subscribed again at the slot's new master. Every loss yields a Gap: messages may be missing.
 */
export class ClusterSubscriber implements AsyncIterable<SubscriberEvent> {
  readonly #host: SubscriberHost;
  readonly #dialOptions: SubscriberHost['dialOptions'];
  readonly #options: ClusterSubscriberOptions;
  readonly #waitMs: number;
  readonly #maxBufferedReplies: number;
  readonly #events: __internal.EventQueue<SubscriberEvent>;
  readonly #lifetime = new AbortController();
  readonly #shards: ShardSubscriptions;
  readonly #channels: ChannelSubscriptions;
  #nextMaster = 0;
  /** The connection of the channels' Subscriber (the last one dialled) and its node. */
  #channelConn: { conn: Connection; node: string } | null = null;
  #watch: NodeJS.Timeout | undefined;
  #watchedMap: SlotMap | null = null;
  /** Set while the readers are behind: forwarding waits on it. */
  #resumed: { promise: Promise<void>; resolve: () => void } | null = null;
  #closing: Promise<void> | null = null;

  /** Use `cluster.subscriber()`. */
  constructor(host: SubscriberHost, options: ClusterSubscriberOptions = {}) {
    this.#host = host;
    this.#options = options;
    const keepAlivePingMs = connInternal.readTimeLimit(
      options.keepAlivePingMs,
      'keepAlivePingMs',
      host.dialOptions.keepAlivePingMs || 1_000,
    );
    this.#dialOptions = {
      ...host.dialOptions,
      keepAlivePingMs,
      ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
    };
    this.#waitMs = connInternal.readTimeLimit(
      options.subscribeWaitMs,
      'subscribeWaitMs',
      host.retryWaitMs,
    );
    this.#maxBufferedReplies = connInternal.readCount(
      options.maxBufferedReplies,
      'maxBufferedReplies',
      __internal.DEFAULT_MAX_BUFFERED_REPLIES,
    );
    this.#events = new __internal.EventQueue(this.#maxBufferedReplies, {
      pause: () => {
        let resolve = () => {};
        const promise = new Promise<void>((settle) => {
          resolve = settle;
        });
        this.#resumed = { promise, resolve };
      },
      resume: () => {
        this.#resumed?.resolve();
        this.#resumed = null;
      },
    });
    this.#channels = new ChannelSubscriptions({
      make: () => this.#channelSubscriber(),
      refresh: host.refresh,
      waitMs: this.#waitMs,
      signal: this.#lifetime.signal,
    });
    this.#shards = new ShardSubscriptions({
      map: host.map,
      refresh: host.refresh,
      subscriberFor: (node, hooks) => this.#nodeSubscriber(node, hooks),
      forward: (subscriber, seen) => this.#forward(subscriber, seen),
      push: (gap) => {
        if (!this.#lifetime.signal.aborted) this.#events.push(gap);
      },
      waitMs: this.#waitMs,
      onError: (error, node) => this.#options.onReconnectError?.(error, node),
    });
    if (keepAlivePingMs > 0 && Number.isFinite(keepAlivePingMs)) {
      this.#watch = setInterval(
        () => this.#checkPlacement(),
        Math.min(keepAlivePingMs, 2 ** 31 - 1),
      );
      this.#watch.unref();
    }
  }

  /**
   * Follows a map that changed (the cluster client refreshes it on its own, and so does this
   * subscriber while a node is down): shard channels whose slot has another owner move, and the
   * channels leave a master that is no longer in the map (removed from the cluster while still
   * running, so nothing closes the connection), with a Gap.
   */
  #checkPlacement(): void {
    const map = this.#host.map();
    if (map === this.#watchedMap || this.#lifetime.signal.aborted) return;
    this.#watchedMap = map;
    this.#shards.recheck();
    const held = this.#channelConn;
    if (held === null || held.conn.err() !== null) return;
    if (map.shards.some((shard) => shard.master === held.node)) return;
    this.#channelConn = null;
    held.conn.destroy(
      new ConnectionError(`${held.node} is no longer a master of the cluster`, {
        code: 'ERR_NODE_REMOVED',
      }),
    );
  }

  /**
   * Subscribes to channels, on one master. Waits up to `subscribeWaitMs` while no master
   * answers, then rejects with ClusterRoutingError and forgets them.
   */
  subscribe(...channels: string[]): Promise<void> {
    return this.#channels.subscribe('SUBSCRIBE', channels);
  }

  /** Subscribes to channel patterns (`news.*`), on the same master as the channels. */
  psubscribe(...patterns: string[]): Promise<void> {
    return this.#channels.subscribe('PSUBSCRIBE', patterns);
  }

  /**
   * Subscribes to shard channels, each on the master of its slot (one SSUBSCRIBE per slot).
   * Resolves once every master has confirmed; waits up to `subscribeWaitMs` for a slot whose
   * master is down or moving, then rejects with ClusterRoutingError and forgets those channels.
   */
  ssubscribe(...channels: string[]): Promise<void> {
    if (this.#lifetime.signal.aborted) return Promise.reject(this.#lifetime.signal.reason);
    if (channels.length === 0)
      return Promise.reject(new TypeError('ssubscribe needs at least one shard channel'));
    return this.#shards.subscribe(channels);
  }

  /** Unsubscribes from channels (all of them without arguments). */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.#channels.unsubscribe('UNSUBSCRIBE', channels);
  }

  /** Unsubscribes from patterns (all of them without arguments). */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.#channels.unsubscribe('PUNSUBSCRIBE', patterns);
  }

  /** Unsubscribes from shard channels (all of them without arguments), wherever they are held. */
  sunsubscribe(...channels: string[]): Promise<void> {
    return this.#shards.unsubscribe(channels);
  }

  /** Resolves to the next message or gap; rejects with a ConnectionError (`ERR_CLOSED`) after close(). */
  receive(): Promise<SubscriberEvent> {
    return this.#events.read(undefined, 'subscriber event');
  }

  /** `receive` with a signal and/or a time limit; giving up consumes no event. */
  receiveWith(options: CallOptions): Promise<SubscriberEvent> {
    return this.#events.read(options, 'subscriber event');
  }

  /** Stops: aborts dials and waits in progress, closes every connection and ends every reader. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `await using subscriber = cluster.subscriber()` runs `close()` when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Messages and gaps, until close(); events buffered before close() are still yielded. */
  async *[Symbol.asyncIterator](): AsyncIterator<SubscriberEvent> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (this.#lifetime.signal.aborted && ConnectionError.is(error)) return;
        throw error;
      }
    }
  }

  async #close(): Promise<void> {
    const closed = new ConnectionError('subscriber closed', { code: 'ERR_CLOSED' });
    this.#lifetime.abort(closed);
    clearInterval(this.#watch);
    this.#events.fail(closed);
    this.#resumed?.resolve();
    await Promise.all([this.#shards.close(closed), this.#channels.close()]);
  }

  /** The Subscriber of channels and patterns: each connection goes to the next master that answers. */
  #channelSubscriber(): Subscriber {
    const subscriber = new Subscriber({
      dial: ({ signal }) => this.#dialAnyMaster(signal),
      maxBufferedReplies: this.#maxBufferedReplies,
      ...this.#backoff(),
      onReconnectError: (error) => {
        void this.#host.refresh();
        this.#options.onReconnectError?.(error, null);
      },
    });
    this.#forward(subscriber);
    return subscriber;
  }

  /** Dials the masters of the current map in turn, starting one further each time. */
  async #dialAnyMaster(signal: AbortSignal): Promise<Connection> {
    const masters = this.#host.map().shards.map((shard) => shard.master);
    if (masters.length === 0) throw new ConnectionError('the cluster map names no master');
    const first = this.#nextMaster++;
    let failure: unknown;
    for (let index = 0; index < masters.length; index++) {
      const key = masters[(first + index) % masters.length] as string;
      try {
        const conn = await dialNode(this.#addressOf(key), 'master', {
          ...this.#dialOptions,
          signal,
        });
        this.#channelConn = { conn, node: key };
        return conn;
      } catch (error) {
        if (signal.aborted) throw error;
        failure = error;
      }
    }
    throw failure;
  }

  /** A Subscriber whose every connection goes to `node` (ShardSubscriptions moves slots off it). */
  #nodeSubscriber(node: string, hooks: NodeHooks): Subscriber {
    const address = this.#addressOf(node);
    let dials = 0;
    return new Subscriber({
      dial: async ({ signal }) => {
        if (dials++ > 0) hooks.onRedial();
        const conn = await dialNode(address, 'master', { ...this.#dialOptions, signal });
        hooks.onDialed();
        return conn;
      },
      maxBufferedReplies: this.#maxBufferedReplies,
      ...this.#backoff(),
      onReconnectError: hooks.onReconnectError,
      onServerUnsubscribe: hooks.onServerUnsubscribe,
    });
  }

  #backoff(): { minBackoffMs?: number; maxBackoffMs?: number } {
    const { minBackoffMs, maxBackoffMs } = this.#options;
    return {
      ...(minBackoffMs === undefined ? {} : { minBackoffMs }),
      ...(maxBackoffMs === undefined ? {} : { maxBackoffMs }),
    };
  }

  #addressOf(node: string): NodeAddress {
    const known = this.#host.map().addresses.get(node);
    if (known !== undefined) return known;
    const parsed = parseAddress(node, '127.0.0.1');
    if (parsed === null) throw new TypeError(`not a node address: ${node}`);
    return parsed;
  }

  /** Moves `subscriber`'s events to the readers, pausing while they are behind. */
  #forward(subscriber: Subscriber, seen?: (event: SubscriberEvent) => void): void {
    void (async () => {
      for (;;) {
        if (this.#resumed !== null) await this.#resumed.promise;
        let event: SubscriberEvent;
        try {
          event = await subscriber.receive();
        } catch {
          return; // closed: by close(), or because its node holds nothing of ours any more
        }
        seen?.(event);
        if (this.#lifetime.signal.aborted) return;
        this.#events.push(event);
      }
    })();
  }
}
