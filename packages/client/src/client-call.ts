import type { CallOptions } from '@x/conn';
import type { Arg, Reply } from '@x/resp';

/** ClientCallOptions limit one call of the client, and say whether it may be sent twice. */
export interface ClientCallOptions extends CallOptions {
  /**
   * The command is safe to run twice (GET, SET k v, ...): when the connection fails after it was
   * written and before its reply came, send it again on the next connection (up to the client's
   * `idempotentRetries`) instead of rejecting with ConnectionError (`sent: true`). `timeoutMs`
   * covers the whole call, waits and attempts together.
   */
  idempotent?: boolean;
}

// One function for every unset callback: a closure per call would cost memory on the hot path.
const ignore = () => {};

/**
 * One call of the client: what to send, and what is left of its own limits, so that it can wait
 * for a connection and be sent (again) on a later one. `timeoutMs` runs from the call, not from
 * each attempt.
 */
export class ClientCall {
  readonly command: string;
  readonly args: readonly Arg[];
  readonly signal: AbortSignal | undefined;
  /** The call's own time limit as given; 0 for none. */
  readonly timeoutMs: number;
  /** performance.now() time by which the call must settle; Infinity without `timeoutMs`. */
  readonly deadline: number;
  /** Sends left after a connection failed with this call written. */
  retriesLeft: number;
  resolve: (reply: Reply) => void = ignore;
  reject: (error: unknown) => void = ignore;
  /** Stops the timers and signal listener of a wait for a connection. */
  disarm: () => void = ignore;

  constructor(
    command: string,
    args: readonly Arg[],
    options: ClientCallOptions | undefined,
    idempotentRetries: number,
    /** When the call was made (performance.now()), if not now: its time limit runs from then. */
    startedAt = 0,
  ) {
    this.command = command;
    this.args = args;
    this.signal = options?.signal;
    const timeoutMs = options?.timeoutMs;
    this.timeoutMs =
      timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY ? 0 : timeoutMs;
    this.deadline =
      this.timeoutMs === 0
        ? Number.POSITIVE_INFINITY
        : (startedAt === 0 ? performance.now() : startedAt) + this.timeoutMs;
    this.retriesLeft = options?.idempotent === true ? idempotentRetries : 0;
  }

  /** The limits left for the next attempt or wait, or undefined when there are none. */
  limitsNow(): CallOptions | undefined {
    if (this.deadline === Number.POSITIVE_INFINITY)
      return this.signal === undefined ? undefined : { signal: this.signal };
    // At least 1 ms: 0 would mean "no limit".
    const timeoutMs = Math.max(1, Math.ceil(this.deadline - performance.now()));
    return this.signal === undefined ? { timeoutMs } : { signal: this.signal, timeoutMs };
  }
}
