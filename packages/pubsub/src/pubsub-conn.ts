import { __internal, type CallOptions, type Conn, ConnectionError } from '@x/conn';
import type { Arg, Push, Reply } from '@x/resp';
import { Pong, type PubSubEvent, Subscription, toEvent } from './events.js';

/**
 * What PubSubConn needs from a connection. `@x/conn`'s Connection has all of it; `protocol`,
 * `closed` and the reading controls are optional for other connections (RESP2 then).
 */
export type PubSubTransport = Conn & {
  readonly protocol?: 2 | 3;
  readonly closed?: Promise<void>;
  pauseReading?(): void;
  resumeReading?(): void;
};

/** PubSubOptions tunes a PubSubConn. */
export interface PubSubOptions {
  /** Overrides the connection's protocol. */
  protocol?: 2 | 3;
  /**
   * RESP3: events buffered for a slow reader before the socket is paused (the server then holds
   * further messages, up to its client-output-buffer-limit). Reading resumes at half. Default
   * 10,000. Over RESP2 the connection's own `maxBufferedReplies` plays this part.
   */
  maxBuffered?: number;
}

interface Waiter {
  resolve: (event: PubSubEvent) => void;
  reject: (error: unknown) => void;
}

const unsubscribeKinds = new Set(['unsubscribe', 'punsubscribe', 'sunsubscribe']);

/**
 * PubSubConn wraps a connection for publish/subscribe, as Redigo's PubSubConn does: the
 * subscribe commands send and flush, `receive` returns the next message, subscription change or
 * pong. Over RESP2 give it a connection of its own; over RESP3 the same connection keeps running
 * ordinary commands.
 */
export class PubSubConn implements AsyncIterable<PubSubEvent> {
  readonly conn: PubSubTransport;
  readonly #resp3: boolean;
  readonly #maxBuffered: number;
  readonly #queue = new __internal.Queue<PubSubEvent>();
  readonly #waiters: Waiter[] = [];
  #paused = false;
  #regularCount = 0;
  #shardCount = 0;
  #failure: unknown = null;
  readonly #stopListening: () => void = () => {};

  constructor(conn: PubSubTransport, options: PubSubOptions = {}) {
    this.conn = conn;
    this.#resp3 = (options.protocol ?? conn.protocol ?? 2) === 3;
    this.#maxBuffered = options.maxBuffered ?? 10_000;
    if (this.#resp3) {
      this.#stopListening = conn.onPush((push) => this.#onPush(push));
      void conn.closed?.then(() =>
        this.#fail(conn.err() ?? new ConnectionError('connection closed')),
      );
    }
  }

  /** Events received over RESP3 and not read yet. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Subscribes to channels. */
  subscribe(...channels: Arg[]): Promise<void> {
    return this.#command('SUBSCRIBE', channels);
  }

  /** Subscribes to channel patterns (`news.*`). */
  psubscribe(...patterns: Arg[]): Promise<void> {
    return this.#command('PSUBSCRIBE', patterns);
  }

  /** Subscribes to shard channels (Redis 7). */
  ssubscribe(...channels: Arg[]): Promise<void> {
    return this.#command('SSUBSCRIBE', channels);
  }

  /** Unsubscribes from channels; no arguments means all of them. */
  unsubscribe(...channels: Arg[]): Promise<void> {
    return this.#command('UNSUBSCRIBE', channels);
  }

  /** Unsubscribes from patterns; no arguments means all of them. */
  punsubscribe(...patterns: Arg[]): Promise<void> {
    return this.#command('PUNSUBSCRIBE', patterns);
  }

  /** Unsubscribes from shard channels; no arguments means all of them. */
  sunsubscribe(...channels: Arg[]): Promise<void> {
    return this.#command('SUNSUBSCRIBE', channels);
  }

  /** Sends PING; the Pong arrives through receive(). */
  async ping(data?: Arg): Promise<void> {
    const args = data === undefined ? [] : [data];
    if (!this.#resp3) return this.#command('PING', args);
    // RESP3 answers PING with an ordinary reply, not a push: turn it into a Pong event.
    const reply = await this.conn.do('PING', ...args);
    this.#push(
      new Pong(Buffer.isBuffer(reply) ? reply : Buffer.from(reply === 'PONG' ? '' : String(reply))),
    );
  }

  /** Resolves to the next event; error replies and connection failures reject. */
  receive(): Promise<PubSubEvent> {
    return this.receiveWith({});
  }

  /** `receive` with a signal and/or a time limit; giving up consumes no event. */
  receiveWith(options: CallOptions): Promise<PubSubEvent> {
    // One promise step per event: this is the hot path of every subscriber.
    if (this.#resp3) return this.#receivePush(options).then(this.#count);
    return this.conn.receiveWith(options).then(this.#toEvent);
  }

  /** Converts a RESP2 reply to an event and counts subscriptions. */
  readonly #toEvent = (reply: Reply): PubSubEvent => {
    if (reply === 'PONG') return new Pong(Buffer.alloc(0));
    const event = Array.isArray(reply) ? toEvent(reply) : undefined;
    if (event === undefined)
      throw new TypeError(`unexpected reply on a pub/sub connection: ${String(reply)}`);
    return this.#count(event);
  };

  /** Keeps the subscription counts the server's confirmations report. */
  readonly #count = (event: PubSubEvent): PubSubEvent => {
    if (event instanceof Subscription) {
      // Shard subscriptions are counted apart from channels and patterns.
      if (event.kind.startsWith('s')) this.#shardCount = event.count;
      else this.#regularCount = event.count;
    }
    return event;
  };

  /** Subscriptions left, as the server's latest confirmations read through receive() say. */
  get subscriptionCount(): number {
    return this.#regularCount + this.#shardCount;
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.#stopListening();
    await this.conn.close();
  }

  /**
   * Every event, until every subscription is gone (the unsubscribe confirmation with count 0 is
   * the last one) or the connection closes. Errors other than a closed connection are thrown.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<PubSubEvent> {
    for (;;) {
      let event: PubSubEvent;
      try {
        event = await this.receive();
      } catch (error) {
        if (ConnectionError.is(error)) return;
        throw error;
      }
      yield event;
      if (
        event instanceof Subscription &&
        unsubscribeKinds.has(event.kind) &&
        this.subscriptionCount === 0
      )
        return;
    }
  }

  async #command(name: string, args: readonly Arg[]): Promise<void> {
    if (this.#resp3) {
      await this.conn.do(name, ...args);
      return;
    }
    this.conn.send(name, ...args);
    await this.conn.flush();
  }

  #receivePush(options: CallOptions): Promise<PubSubEvent> {
    if (this.buffered > 0) return Promise.resolve(this.#shift());
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise<PubSubEvent>((resolve, reject) => {
      // Assigned below; a signal that is already aborted gives up before that, with nothing to disarm.
      let disarm = () => {};
      const waiter: Waiter = {
        resolve: (event) => {
          disarm();
          resolve(event);
        },
        reject: (error) => {
          disarm();
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      disarm = __internal.armCallOptions(
        options,
        (error) => {
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(error);
        },
        'pub/sub event',
      );
    });
  }

  #onPush(push: Push): void {
    const event = toEvent(push.values);
    if (event !== undefined) this.#push(event);
  }

  #push(event: PubSubEvent): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(event);
      return;
    }
    this.#queue.push(event);
    if (!this.#paused && this.buffered >= this.#maxBuffered && this.conn.pauseReading) {
      this.#paused = true;
      this.conn.pauseReading();
    }
  }

  #shift(): PubSubEvent {
    const event = this.#queue.shift()!;
    if (this.#paused && this.buffered <= this.#maxBuffered / 2) {
      this.#paused = false;
      this.conn.resumeReading?.();
    }
    return event;
  }

  #fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
