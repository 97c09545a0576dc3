import type { Request } from './request.js';
import { LongTimer } from './time-limit.js';

/** What the deadline needs to know of its connection. */
export interface DeadlineHost {
  /** The oldest written command, awaiting its reply. */
  head(): Request | undefined;
  /** True while the socket cannot take more (the request may not be fully written yet). */
  writing(): boolean;
  /** Nothing came for `allowedMs` while a reply was awaited. */
  expired(allowedMs: number): void;
}

/**
 * ReadDeadline fails a connection when a reply is awaited and the server sends none for
 * `timeoutMs`, plus the head command's own timeout when it blocks (none for timeout 0). One lazy
 * timer: progress only records a time, and the timer, when it fires, re-arms for what is left
 * instead of being reset on every reply.
 *
 * Progress is what answers the head: a command settled, part of a reply that is not a push, or
 * the socket draining for the first time since the head was written (its request is then all
 * out). Push frames, RESP2 pub/sub messages and later drains are not: a server that keeps
 * sending messages, or takes writes, but never answers still trips the deadline.
 */
export class ReadDeadline {
  readonly #timeoutMs: number;
  readonly #host: DeadlineHost;
  #progressAt = Date.now();
  /** The head's request has left the socket's buffer: a drain no longer counts as progress. */
  #headFlushed = true;
  #timer: LongTimer | undefined;

  /** `timeoutMs` 0 turns the deadline off. */
  constructor(timeoutMs: number, host: DeadlineHost) {
    this.#timeoutMs = timeoutMs;
    this.#host = host;
  }

  /** Milliseconds since the last progress. */
  get idleMs(): number {
    return Date.now() - this.#progressAt;
  }

  /** The server sent part of a reply: the deadline counts from now. */
  progress(): void {
    this.#progressAt = Date.now();
  }

  /** The socket took everything it was given: the first time since the head was written counts. */
  drained(): void {
    if (this.#headFlushed) return;
    this.#headFlushed = true;
    this.#progressAt = Date.now();
  }

  /** A command was written to an empty queue: count from now and make sure the timer runs. */
  start(): void {
    this.#countFromNow();
    this.#arm();
  }

  /**
   * The head was answered: count from now for the next one. A head that blocked armed the timer
   * with its own allowance, so renew it.
   */
  headSettled(head: Request, more: boolean): void {
    this.#countFromNow();
    if (head.blockingMs !== 0) this.stop();
    if (more) this.#arm();
  }

  /** Stops the timer. */
  stop(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** A new head: its time counts from now, and its request may still be in the socket's buffer. */
  #countFromNow(): void {
    this.#progressAt = Date.now();
    this.#headFlushed = !this.#host.writing();
  }

  #arm(): void {
    if (this.#timeoutMs === 0 || this.#timer !== undefined) return;
    this.#timer = new LongTimer(this.#timeoutMs, () => this.#check(), true);
  }

  #check(): void {
    this.#timer = undefined;
    const head = this.#host.head();
    if (head === undefined) return;
    // The server may still be reading the request: writeTimeoutMs guards the write itself.
    if (this.#host.writing()) {
      this.#arm();
      return;
    }
    // A blocking command with timeout 0 may wait for ever; the next head re-arms the timer.
    if (head.blockingMs < 0) return;
    const allowedMs = this.#timeoutMs + head.blockingMs;
    const idleMs = this.idleMs;
    if (idleMs >= allowedMs) this.#host.expired(allowedMs);
    else this.#timer = new LongTimer(allowedMs - idleMs, () => this.#check(), true);
  }
}
