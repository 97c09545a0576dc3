import { __internal, type Connection, ConnectionError } from '@x/conn';
import { Message, PMessage } from './events.js';
import { PubSubConn } from './pubsub-conn.js';

const MAX_BUFFERED = 10_000;

/** Gap says the connection was lost: messages published between `since` and `until` may be missing. */
export class Gap {
  readonly type = 'gap' as const;
  constructor(
    readonly since: Date,
    readonly until: Date,
    /** Why the connection was lost. */
    readonly cause: unknown,
  ) {}
}

/** What a Subscriber yields. */
export type SubscriberEvent = Message | PMessage | Gap;

/** SubscriberOptions: where to connect, and how patiently to reconnect. */
export interface SubscriberOptions {
  /** Opens a connection, for example `() => dial(url, { protocol: 3 })`. */
  dial: () => Promise<Connection>;
  /** First wait before reconnecting; doubles each failed try. Default 50 ms. */
  minBackoffMs?: number;
  /** Longest wait between tries. Default 5,000 ms. */
  maxBackoffMs?: number;
  /** Called with each failed reconnection attempt, for logging. */
  onReconnectError?: (error: unknown) => void;
}

/**
 * Subscriber owns a pub/sub connection and keeps it alive: when the connection drops it
 * reconnects with exponential backoff, subscribes again to every channel, pattern and shard
 * channel it had, and yields a Gap so that the application knows messages may have been missed.
 */
export class Subscriber implements AsyncIterable<SubscriberEvent> {
  readonly #options: Required<Omit<SubscriberOptions, 'onReconnectError'>> &
    Pick<SubscriberOptions, 'onReconnectError'>;
  readonly #channels = new Set<string>();
  readonly #patterns = new Set<string>();
  readonly #shardChannels = new Set<string>();
  #psc: PubSubConn | null = null;
  #connecting: Promise<PubSubConn> | null = null;
  #closed = false;
  readonly #events = new __internal.Queue<SubscriberEvent>();
  #wake: (() => void) | null = null;
  #drained: (() => void) | null = null;

  constructor(options: SubscriberOptions) {
    this.#options = { minBackoffMs: 50, maxBackoffMs: 5_000, ...options };
  }

  /** Subscribes to channels, connecting first if needed. */
  async subscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.#channels.add(channel);
    await (await this.#connected()).subscribe(...channels);
  }

  /** Subscribes to patterns. */
  async psubscribe(...patterns: string[]): Promise<void> {
    for (const pattern of patterns) this.#patterns.add(pattern);
    await (await this.#connected()).psubscribe(...patterns);
  }

  /** Subscribes to shard channels. */
  async ssubscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.#shardChannels.add(channel);
    await (await this.#connected()).ssubscribe(...channels);
  }

  /** Unsubscribes from channels (all of them without arguments). */
  async unsubscribe(...channels: string[]): Promise<void> {
    forget(this.#channels, channels);
    await this.#psc?.unsubscribe(...channels);
  }

  /** Unsubscribes from patterns (all of them without arguments). */
  async punsubscribe(...patterns: string[]): Promise<void> {
    forget(this.#patterns, patterns);
    await this.#psc?.punsubscribe(...patterns);
  }

  /** Stops: closes the connection and ends iteration. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#drained?.();
    await this.#psc?.close();
  }

  /** Messages and gaps, until close(). */
  async *[Symbol.asyncIterator](): AsyncIterator<SubscriberEvent> {
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) {
        if (this.#events.length <= MAX_BUFFERED / 2) this.#drained?.();
        yield event;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }

  #connected(): Promise<PubSubConn> {
    if (this.#psc !== null) return Promise.resolve(this.#psc);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<PubSubConn> {
    const psc = new PubSubConn(await this.#options.dial());
    // close() may have run while we were dialling: do not leave a connection behind.
    if (this.#closed) {
      await psc.close();
      throw new ConnectionError('subscriber closed', { code: 'ERR_CLOSED' });
    }
    if (this.#channels.size > 0) await psc.subscribe(...this.#channels);
    if (this.#patterns.size > 0) await psc.psubscribe(...this.#patterns);
    if (this.#shardChannels.size > 0) await psc.ssubscribe(...this.#shardChannels);
    this.#psc = psc;
    void this.#pump(psc);
    return psc;
  }

  /** Reads events until the connection fails, then reconnects and reports the gap. */
  async #pump(psc: PubSubConn): Promise<void> {
    let cause: unknown;
    for (;;) {
      // A slow reader: stop reading until it catches up, so the socket pauses and the server buffers.
      while (this.#events.length >= MAX_BUFFERED && !this.#closed) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
        this.#drained = null;
      }
      try {
        const event = await psc.receive();
        if (event instanceof Message || event instanceof PMessage) this.#emit(event);
      } catch (error) {
        cause = error;
        if (ConnectionError.is(error) || psc.conn.err() !== null) break;
      }
    }
    this.#psc = null;
    if (this.#closed) return;
    const since = new Date();
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await this.#connected();
        this.#emit(new Gap(since, new Date(), cause));
        return;
      } catch (error) {
        this.#options.onReconnectError?.(error);
        const delay = Math.min(
          this.#options.maxBackoffMs,
          this.#options.minBackoffMs * 2 ** attempt,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #emit(event: SubscriberEvent): void {
    this.#events.push(event);
    this.#wake?.();
  }
}

function forget(set: Set<string>, names: readonly string[]): void {
  if (names.length === 0) set.clear();
  for (const name of names) set.delete(name);
}
