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
 */
export class ReadDeadline {
  readonly #timeoutMs: number;
  readonly #host: DeadlineHost;
  #progressAt = Date.now();
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

  /** The server sent (part of) a reply, or a write finished: the deadline counts from now. */
  progress(): void {
    this.#progressAt = Date.now();
  }

  /** A command was written to an empty queue: count from now and make sure the timer runs. */
  start(): void {
    this.#progressAt = Date.now();
    this.#arm();
  }

  /** The head changed; a head that blocked armed the timer with its own allowance, so renew it. */
  headSettled(head: Request, more: boolean): void {
    if (head.blockingMs !== 0) this.stop();
    if (more) this.#arm();
  }

  /** Stops the timer. */
  stop(): void {
    this.#timer?.clear();
    this.#timer = undefined;
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
