import { __internal, type CallOptions } from '@x/conn';

/** Default of `maxBufferedReplies` for PubSubConn and Subscriber, as @x/conn's. */
export const DEFAULT_MAX_BUFFERED_REPLIES = 10_000;

/** What an EventQueue does when it fills up and when it has drained to half. */
export interface FlowControl {
  /** The queue holds `maxBufferedReplies` events: stop producing. */
  pause(): void;
  /** The queue is down to half: produce again. */
  resume(): void;
}

/**
 * EventQueue hands events to readers: each event to exactly one reader, oldest reader first,
 * buffered while nobody reads. Full at `maxBufferedReplies`, it asks its producer to pause, and to
 * resume at half. After `fail`, buffered events are still read, then every read rejects.
 */
export class EventQueue<T> {
  readonly #events = new __internal.Queue<T>();
  readonly #readers = new __internal.Queue<__internal.Waiter<T>>();
  readonly #maxBuffered: number;
  readonly #flow: FlowControl | undefined;
  #paused = false;
  #failure: unknown = null;

  constructor(maxBufferedReplies: number, flow?: FlowControl) {
    this.#maxBuffered = maxBufferedReplies;
    this.#flow = flow;
  }

  /** Events buffered and not read yet. */
  get length(): number {
    return this.#events.length;
  }

  /** True between a pause and the matching resume. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Gives `event` to the oldest waiting reader, or buffers it. */
  push(event: T): void {
    const reader = this.#readers.shift();
    if (reader !== undefined) {
      reader.resolve(event);
      return;
    }
    this.#events.push(event);
    if (!this.#paused && this.#events.length >= this.#maxBuffered) {
      this.#paused = true;
      this.#flow?.pause();
    }
  }

  /** The next event; a reader that gives up (signal, time limit) consumes none. */
  read(options: CallOptions | undefined, what: string): Promise<T> {
    if (this.#events.length > 0) return Promise.resolve(this.#shift());
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return __internal.waitInQueue<T>(
      options,
      (reader) => this.#readers.push(reader),
      (reader) => this.#readers.extract((waiting) => waiting === reader),
      what,
    );
  }

  /** Rejects every waiting and future read with `error`, once the buffer is read. */
  fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const reader of this.#readers.drain()) reader.reject(error);
  }

  #shift(): T {
    const event = this.#events.shift() as T;
    if (this.#paused && this.#events.length <= this.#maxBuffered / 2) {
      this.#paused = false;
      this.#flow?.resume();
    }
    return event;
  }
}
