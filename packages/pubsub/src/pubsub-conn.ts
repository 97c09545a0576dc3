import { __internal, type CallOptions, type Conn, ConnectionError } from '@x/conn';
import type { Arg, Push, Reply } from '@x/resp';
import { DEFAULT_MAX_BUFFERED_REPLIES, EventQueue } from './event-queue.js';
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
   * 10,000, as the connection's own option of the same name, which plays this part over RESP2.
   */
  maxBufferedReplies?: number;
}

const unsubscribeKinds = new Set(['unsubscribe', 'punsubscribe', 'sunsubscribe']);
/** Shard subscriptions are counted apart from channels and patterns, as the server does. */
const shardKinds = new Set(['ssubscribe', 'sunsubscribe']);

/**
 * PubSubConn wraps a connection for publish/subscribe, as Redigo's PubSubConn does: the
 * subscribe commands send and flush, `receive` returns the next message, subscription change or
 * pong. Over RESP2 give it a connection of its own; over RESP3 the same connection keeps running
 * ordinary commands.
 */
export class PubSubConn implements AsyncIterable<PubSubEvent> {
  readonly conn: PubSubTransport;
  readonly #resp3: boolean;
  readonly #queue: EventQueue<PubSubEvent>;
  #regularCount = 0;
  #shardCount = 0;
  readonly #stopListening: () => void = () => {};

  constructor(conn: PubSubTransport, options: PubSubOptions = {}) {
    // The old name, from JavaScript: say so rather than ignore the limit asked for.
    if ((options as { maxBuffered?: unknown }).maxBuffered !== undefined)
      throw new TypeError('maxBuffered is now maxBufferedReplies, as in @x/conn');
    this.conn = conn;
    this.#resp3 = (options.protocol ?? conn.protocol ?? 2) === 3;
    this.#queue = new EventQueue(
      __internal.readCount(
        options.maxBufferedReplies,
        'maxBufferedReplies',
        DEFAULT_MAX_BUFFERED_REPLIES,
      ),
      {
        pause: () => conn.pauseReading?.(),
        resume: () => conn.resumeReading?.(),
      },
    );
    if (this.#resp3) {
      this.#stopListening = conn.onPush((push) => this.#onPush(push));
      void conn.closed?.then(() =>
        this.#queue.fail(conn.err() ?? new ConnectionError('connection closed')),
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
    // Without data the server says +PONG, which a Pong reports as empty data (as over RESP2).
    let payload: Buffer = Buffer.alloc(0);
    if (data !== undefined) payload = Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply));
    this.#queue.push(new Pong(payload));
  }

  /** Resolves to the next event; error replies and connection failures reject. */
  receive(): Promise<PubSubEvent> {
    return this.receiveWith({});
  }

  /** `receive` with a signal and/or a time limit; giving up consumes no event. */
  receiveWith(options: CallOptions): Promise<PubSubEvent> {
    // One promise step per event: this is the hot path of every subscriber.
    if (this.#resp3) return this.#queue.read(options, 'pub/sub event').then(this.#count);
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
      if (shardKinds.has(event.kind)) this.#shardCount = event.count;
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

  /** `await using psc = new PubSubConn(conn)` runs `close()` when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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

  #onPush(push: Push): void {
    const event = toEvent(push.values);
    if (event !== undefined) this.#queue.push(event);
  }
}
