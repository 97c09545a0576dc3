import { setTimeout as sleep } from 'node:timers/promises';
import {
  __internal,
  type CallOptions,
  ConnectionError,
  type DialFunction,
  NothingPendingError,
} from '@x/conn';
import { type Arg, ReplyError } from '@x/resp';
import { SubscriptionRefusedError } from './errors.js';
import { DEFAULT_MAX_BUFFERED_REPLIES, EventQueue } from './event-queue.js';
import { Message, PMessage, Subscription } from './events.js';
import { PubSubConn } from './pubsub-conn.js';

/** Gap says the connection was lost: messages published between `since` and `until` may be missing. */
export class Gap {
  readonly type = 'gap' as const;
  constructor(
    readonly since: Date,
    readonly until: Date,
    /**
     * Why the connection was lost: the error, or the server's `sunsubscribe` Subscription when the
     * server ended a shard channel subscription (its slot moved away).
     */
    readonly cause: unknown,
  ) {}
}

/** What a Subscriber yields. */
export type SubscriberEvent = Message | PMessage | Gap;

/** SubscriberOptions: where to connect, how much to buffer, and how patiently to reconnect. */
export interface SubscriberOptions {
  /**
   * Opens a connection, for example `({ signal }) => dial(url, { protocol: 3, signal })`. The
   * signal aborts when the subscriber closes.
   */
  dial: DialFunction;
  /**
   * Events buffered for slow readers before the subscriber stops reading the connection (the
   * server then holds further messages, up to its client-output-buffer-limit); reading resumes
   * at half. Default 10,000, as `@x/conn`'s option of the same name.
   */
  maxBufferedReplies?: number;
  /** First wait before reconnecting; doubles each failed try. Default 50 ms. */
  minBackoffMs?: number;
  /** Longest wait between tries. Default 5,000 ms. */
  maxBackoffMs?: number;
  /** Called with each failed reconnection attempt, for logging. */
  onReconnectError?: (error: unknown) => void;
  /**
   * Called when the server ends a shard channel subscription that nobody asked to end: Redis 7
   * sends `sunsubscribe` to a node's subscribers when the channel's slot moves to another node or
   * the node stops being a master. The subscriber forgets the channel and leaves it to this
   * callback to subscribe again where the slot lives now (a cluster client does). Without it, the
   * subscriber reconnects (its `dial` may lead elsewhere), subscribes to everything again, and
   * yields a Gap.
   */
  onServerUnsubscribe?: (ended: Subscription) => void;
}

/**
 * Subscriber owns a pub/sub connection and keeps it alive: when the connection drops it
 * reconnects with exponential backoff, subscribes again to every channel, pattern and shard
 * channel it has, and yields a Gap so that the application knows messages may have been missed.
 * Any number of readers may iterate or call `receive` at once; each event goes to one of them.
 */
export class Subscriber implements AsyncIterable<SubscriberEvent> {
  readonly #options: Required<Omit<SubscriberOptions, 'onReconnectError' | 'onServerUnsubscribe'>> &
    Pick<SubscriberOptions, 'onReconnectError' | 'onServerUnsubscribe'>;
  readonly #channels = new Set<string>();
  readonly #patterns = new Set<string>();
  readonly #shardChannels = new Set<string>();
  #psc: PubSubConn | null = null;
  #connecting: Promise<PubSubConn> | null = null;
  /** Aborts dials and the backoff sleep when the subscriber closes. */
  readonly #lifetime = new AbortController();
  readonly #events: EventQueue<SubscriberEvent>;
  /** Set while the queue is full: the pump waits on it before reading again. */
  #resumed: Latch | null = null;
  /** Set while a RESP2 connection holds no subscription: the pump waits for the next subscribe. */
  #resubscribed: Latch | null = null;
  /**
   * Shard channels whose SUNSUBSCRIBE we sent and whose confirmation the pump has not read: a
   * `sunsubscribe` for any other channel we hold was the server's own doing.
   */
  readonly #leaving = new Map<string, number>();
  /** SUNSUBSCRIBEs without names sent on this connection and not yet confirmed to the end. */
  #leavingAll = 0;
  /** Set while reconnecting: the loss the next connection reports as a Gap, before its events. */
  #lost: { since: Date; cause: unknown } | null = null;

  constructor(options: SubscriberOptions) {
    const maxBufferedReplies = __internal.readCount(
      options.maxBufferedReplies,
      'maxBufferedReplies',
      DEFAULT_MAX_BUFFERED_REPLIES,
    );
    this.#options = { minBackoffMs: 50, maxBackoffMs: 5_000, ...options, maxBufferedReplies };
    this.#events = new EventQueue(maxBufferedReplies, {
      pause: () => {
        this.#resumed = latch();
      },
      resume: () => {
        this.#resumed?.resolve();
        this.#resumed = null;
      },
    });
  }

  get #closed(): boolean {
    return this.#lifetime.signal.aborted;
  }

  /** Subscribes to channels, connecting first if needed. */
  subscribe(...channels: string[]): Promise<void> {
    return this.#remember(this.#channels, channels, (psc) => confirmed(psc, 'SUBSCRIBE', channels));
  }

  /** Subscribes to patterns. */
  psubscribe(...patterns: string[]): Promise<void> {
    return this.#remember(this.#patterns, patterns, (psc) =>
      confirmed(psc, 'PSUBSCRIBE', patterns),
    );
  }

  /** Subscribes to shard channels. */
  ssubscribe(...channels: string[]): Promise<void> {
    return this.#remember(this.#shardChannels, channels, (psc) =>
      confirmed(psc, 'SSUBSCRIBE', channels),
    );
  }

  /** Unsubscribes from channels (all of them without arguments); reconnections forget them. */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.#forget(this.#channels, channels, (psc) => confirmed(psc, 'UNSUBSCRIBE', channels));
  }

  /** Unsubscribes from patterns (all of them without arguments); reconnections forget them. */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.#forget(this.#patterns, patterns, (psc) =>
      confirmed(psc, 'PUNSUBSCRIBE', patterns),
    );
  }

  /** Unsubscribes from shard channels (all of them without arguments); reconnections forget them. */
  sunsubscribe(...channels: string[]): Promise<void> {
    return this.#forget(this.#shardChannels, channels, (psc) => {
      // Counted before the command is written, so the pump tells our confirmations from the server's.
      if (channels.length === 0) this.#leavingAll++;
      for (const channel of channels)
        this.#leaving.set(channel, (this.#leaving.get(channel) ?? 0) + 1);
      return confirmed(psc, 'SUNSUBSCRIBE', channels);
    });
  }

  /** Resolves to the next message or gap; rejects with a ConnectionError (`ERR_CLOSED`) after close(). */
  receive(): Promise<SubscriberEvent> {
    return this.#events.read(undefined, 'subscriber event');
  }

  /** `receive` with a signal and/or a time limit; giving up consumes no event. */
  receiveWith(options: CallOptions): Promise<SubscriberEvent> {
    return this.#events.read(options, 'subscriber event');
  }

  /** Stops: aborts a dial in progress, closes the connection and ends every reader. */
  close(): Promise<void> {
    // A second call waits for the same closing, not just for the first to have started.
    this.#closingDone ??= this.#close();
    return this.#closingDone;
  }

  /** What close() returns to every caller. */
  #closingDone: Promise<void> | null = null;

  async #close(): Promise<void> {
    const closed = new ConnectionError('subscriber closed', { code: 'ERR_CLOSED' });
    this.#lifetime.abort(closed);
    this.#events.fail(closed);
    this.#resumed?.resolve();
    this.#resubscribed?.resolve();
    await this.#psc?.close();
  }

  /** `await using subscriber = new Subscriber(...)` runs `close()` when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Messages and gaps, until close(); events buffered before close() are still yielded. */
  async *[Symbol.asyncIterator](): AsyncIterator<SubscriberEvent> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (this.#closed && ConnectionError.is(error)) return;
        throw error;
      }
    }
  }

  /** Remembers `names` for every reconnection, connects if needed and subscribes. */
  async #remember(
    set: Set<string>,
    names: readonly string[],
    subscribe: (psc: PubSubConn) => Promise<void>,
  ): Promise<void> {
    for (const name of names) set.add(name);
    try {
      await subscribe(await this.#connected());
      this.#resubscribed?.resolve();
      this.#resubscribed = null;
    } catch (error) {
      // The server refused them (an ACL's NOPERM): every reconnection would be refused again.
      if (ReplyError.is(error)) for (const name of names) set.delete(name);
      throw error;
    }
  }

  /** Forgets `names` (all without names) so no reconnection restores them, then unsubscribes. */
  async #forget(
    set: Set<string>,
    names: readonly string[],
    unsubscribe: (psc: PubSubConn) => Promise<void>,
  ): Promise<void> {
    if (names.length === 0) set.clear();
    for (const name of names) set.delete(name);
    // A connection still being set up subscribes from the sets before it counts as connected:
    // wait for it, so it does not keep what was just forgotten.
    const psc = this.#psc ?? (await this.#connecting?.catch(() => null)) ?? null;
    if (psc !== null) await unsubscribe(psc);
  }

  #connected(): Promise<PubSubConn> {
    if (this.#psc !== null) return Promise.resolve(this.#psc);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<PubSubConn> {
    this.#lifetime.signal.throwIfAborted();
    const psc = new PubSubConn(await this.#options.dial({ signal: this.#lifetime.signal }), {
      maxBufferedReplies: this.#options.maxBufferedReplies,
    });
    try {
      // close() may have run while we were dialling: do not leave a connection behind.
      this.#lifetime.signal.throwIfAborted();
      await this.#resubscribe(psc, 'SUBSCRIBE', this.#channels);
      await this.#resubscribe(psc, 'PSUBSCRIBE', this.#patterns);
      // One SSUBSCRIBE per channel (pipelined: one write): in a cluster one must not name channels
      // of two slots (CROSSSLOT), and this package cannot tell slots apart.
      await Promise.all(
        [...this.#shardChannels].map((channel) =>
          this.#resubscribe(psc, 'SSUBSCRIBE', this.#shardChannels, [channel]),
        ),
      );
    } catch (error) {
      await psc.close().catch(() => {});
      throw error;
    }
    this.#leaving.clear();
    this.#leavingAll = 0;
    this.#psc = psc;
    // Before the pump starts: a message that came with the confirmations must not overtake it.
    if (this.#lost !== null) {
      this.#events.push(new Gap(this.#lost.since, new Date(), this.#lost.cause));
      this.#lost = null;
    }
    void this.#pump(psc);
    return psc;
  }

  /**
   * Subscribes `set` again on a new connection. A name the server refuses (NOPERM after an ACL
   * change, MOVED for a shard channel whose slot moved) would be refused on every reconnection:
   * it is forgotten and reported to `onReconnectError` (a SubscriptionRefusedError), and the
   * others are subscribed one by one. ASK is not among them: it names no lasting owner. A connection failure still fails the whole connection.
   */
  async #resubscribe(
    psc: PubSubConn,
    command: 'SUBSCRIBE' | 'PSUBSCRIBE' | 'SSUBSCRIBE',
    set: Set<string>,
    names: readonly string[] = [...set],
  ): Promise<void> {
    if (names.length === 0) return;
    try {
      await confirmed(psc, command, names);
      return;
    } catch (error) {
      // Only on a reconnection, and only a refusal for good: a first connection's refusal goes to
      // the caller (the connection closes), and CLUSTERDOWN, TRYAGAIN, LOADING... pass.
      if (this.#lost === null || !ReplyError.is(error) || !REFUSED_FOR_GOOD.has(error.code))
        throw error;
      if (names.length === 1) {
        set.delete(names[0] as string);
        this.#options.onReconnectError?.(
          new SubscriptionRefusedError(command, names[0] as string, error),
        );
        return;
      }
    }
    // Refused as a whole (the server checks every name first): find out which, one by one.
    await Promise.all(names.map((name) => this.#resubscribe(psc, command, set, [name])));
  }

  /**
   * True for a `sunsubscribe` of a shard channel we hold and did not ask to leave. Our own
   * confirmations come in the order we sent the commands: each named channel's once per
   * SUNSUBSCRIBE naming it, and an unnamed SUNSUBSCRIBE's up to the one that reports 0 left.
   */
  #endedByServer(event: Subscription): boolean {
    if (event.kind !== 'sunsubscribe') return false;
    const channel = event.channel;
    const leaving = channel === null ? 0 : (this.#leaving.get(channel) ?? 0);
    if (leaving > 0) {
      if (leaving === 1) this.#leaving.delete(channel as string);
      else this.#leaving.set(channel as string, leaving - 1);
      return false;
    }
    if (this.#leavingAll > 0) {
      if (event.count === 0) this.#leavingAll--;
      return false;
    }
    return channel !== null && this.#shardChannels.has(channel);
  }

  /** Reads events until the connection fails, then reconnects and reports the gap. */
  async #pump(psc: PubSubConn): Promise<void> {
    let cause: unknown;
    for (;;) {
      // Slow readers: stop reading until they catch up, so the socket pauses and the server buffers.
      if (this.#resumed !== null) await this.#resumed.promise;
      if (this.#closed) return;
      try {
        const event = await psc.receive();
        if (event instanceof Message || event instanceof PMessage) this.#events.push(event);
        else if (event instanceof Subscription && this.#endedByServer(event)) {
          const channel = event.channel as string;
          if (this.#options.onServerUnsubscribe !== undefined) {
            this.#shardChannels.delete(channel);
            this.#options.onServerUnsubscribe(event);
            continue;
          }
          // Dial again (it may lead to the slot's new owner) and subscribe to everything there.
          cause = event;
          this.#psc = null;
          await psc.close().catch(() => {});
          break;
        }
      } catch (error) {
        // RESP2 with every subscription gone: nothing can arrive until the next subscribe, or
        // until the connection closes.
        if (NothingPendingError.is(error)) {
          this.#resubscribed ??= latch();
          const closed = psc.conn.closed ?? this.#resubscribed.promise;
          await Promise.race([this.#resubscribed.promise, closed]);
          continue;
        }
        cause = error;
        if (ConnectionError.is(error) || psc.conn.err() !== null) break;
      }
    }
    if (this.#psc === psc) this.#psc = null;
    this.#lost = { since: new Date(), cause };
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        // Whoever makes the next connection (this loop or a subscribe) yields the Gap.
        await this.#connected();
        return;
      } catch (error) {
        if (this.#closed) return;
        this.#options.onReconnectError?.(error);
        const delay = Math.min(
          this.#options.maxBackoffMs,
          this.#options.minBackoffMs * 2 ** attempt,
        );
        await sleep(delay, undefined, { signal: this.#lifetime.signal }).catch(() => {});
      }
    }
  }
}

/** Error codes after which subscribing the same name on the same server again is refused again. */
const REFUSED_FOR_GOOD = new Set(['NOPERM', 'MOVED']);

/** A promise with its resolve function, for the pump to wait on. */
interface Latch {
  promise: Promise<void>;
  resolve: () => void;
}

function latch(): Latch {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/**
 * Runs a subscribe-family command and resolves once the server has confirmed it, over both
 * protocols: PubSubConn's RESP2 commands resolve when written, as Redigo's do, and a message
 * published in between would be lost. The confirmations still reach the pump through receive().
 */
async function confirmed(psc: PubSubConn, command: string, names: readonly Arg[]): Promise<void> {
  await psc.conn.do(command, ...names);
}
