import { __internal } from '@x/conn';
import { type Attempt, ClusterRoutingError } from './errors.js';

const { LongTimer } = __internal;

interface Waiter {
  readonly channels: readonly string[];
  /** The failed tries for its channels, for the error should time run out. */
  readonly attempts: Attempt[];
  /** Forgets what the call asked for (it has failed); resolves once that is done at the nodes. */
  readonly forget: () => Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * SubscribeWaiters holds the `ssubscribe` calls still waiting for their channels to be
 * confirmed: each settles when they are, when they are refused, when the subscriber closes, or
 * after `waitMs` with a ClusterRoutingError that lists the tries made for it.
 */
export class SubscribeWaiters {
  readonly #waiters = new Set<Waiter>();
  readonly #waitMs: number;

  constructor(waitMs: number) {
    this.#waitMs = waitMs;
  }

  /**
   * Waits for `channels`; when `waitMs` passes first, or a refusal rejects the call, `forget`
   * runs (the call no longer counts as waiting), then the call rejects once the forgetting is
   * done at the nodes (or after FORGET_WAIT_MS). close() does not forget.
   */
  wait(channels: readonly string[], forget: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // 0 and Infinity: no limit (as every time limit of the toolkit); the LongTimer honours
      // waits past setTimeout's 24.8 days instead of firing at once.
      const limited = this.#waitMs > 0 && Number.isFinite(this.#waitMs);
      const expire = () => {
        this.#waiters.delete(waiter);
        const error = new ClusterRoutingError(
          `SSUBSCRIBE ${channels.join(' ')}: no master took the subscription within ${this.#waitMs} ms`,
          'ERR_CLUSTER_UNAVAILABLE',
          waiter.attempts,
        );
        void forgotten(forget()).then(() => reject(error));
      };
      const timer = limited ? new LongTimer(this.#waitMs, expire) : null;
      const waiter: Waiter = {
        channels,
        attempts: [],
        forget,
        resolve: () => {
          timer?.clear();
          resolve();
        },
        reject: (error) => {
          timer?.clear();
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Notes a failed try on every call waiting for one of `channels`. */
  tried(channels: readonly string[], attempt: Attempt): void {
    for (const waiter of this.#waiters)
      if (channels.some((channel) => waiter.channels.includes(channel)))
        waiter.attempts.push(attempt);
  }

  /** Resolves every call all of whose channels are `done`; returns the channels of those calls. */
  settle(done: (channel: string) => boolean): string[] {
    const settled: string[] = [];
    for (const waiter of this.#waiters) {
      if (!waiter.channels.every(done)) continue;
      this.#waiters.delete(waiter);
      settled.push(...waiter.channels);
      waiter.resolve();
    }
    return settled;
  }

  /** True while some call waits for `channel`. */
  waiting(channel: string): boolean {
    for (const waiter of this.#waiters) if (waiter.channels.includes(channel)) return true;
    return false;
  }

  /**
   * Rejects every call waiting for one of `channels`, forgetting what each asked for; without
   * `channels` (close()), rejects every call and forgets nothing.
   */
  reject(error: unknown, channels?: readonly string[]): void {
    const failed: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (channels !== undefined && !channels.some((channel) => waiter.channels.includes(channel)))
        continue;
      this.#waiters.delete(waiter);
      failed.push(waiter);
    }
    for (const waiter of failed) {
      if (channels === undefined) waiter.reject(error);
      else void forgotten(waiter.forget()).then(() => waiter.reject(error));
    }
  }
}

/** The longest a failed call waits for its channels to be unsubscribed before it rejects. */
const FORGET_WAIT_MS = 2_000;

/** `forgetting`, or FORGET_WAIT_MS, whichever ends first (a node that hangs must not hold a call). */
async function forgotten(forgetting: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FORGET_WAIT_MS);
  });
  try {
    await Promise.race([forgetting.catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}
