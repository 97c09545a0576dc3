import { __internal } from '@x/conn';
import { type Attempt, ClusterRoutingError } from './errors.js';

const { LongTimer } = __internal;

interface Waiter {
  readonly channels: readonly string[];
  /** The failed tries for its channels, for the error should time run out. */
  readonly attempts: Attempt[];
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

  /** Waits for `channels`; when `waitMs` passes first, `expired` runs, then the call rejects. */
  wait(channels: readonly string[], expired: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // 0 and Infinity: no limit (as every time limit of the toolkit); the LongTimer honours
      // waits past setTimeout's 24.8 days instead of firing at once.
      const limited = this.#waitMs > 0 && Number.isFinite(this.#waitMs);
      const expire = () => {
        this.#waiters.delete(waiter);
        expired();
        reject(
          new ClusterRoutingError(
            `SSUBSCRIBE ${channels.join(' ')}: no master took the subscription within ${this.#waitMs} ms`,
            'ERR_CLUSTER_UNAVAILABLE',
            waiter.attempts,
          ),
        );
      };
      const timer = limited ? new LongTimer(this.#waitMs, expire) : null;
      const waiter: Waiter = {
        channels,
        attempts: [],
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

  /** Resolves every call all of whose channels are `done`. */
  settle(done: (channel: string) => boolean): void {
    for (const waiter of this.#waiters) {
      if (!waiter.channels.every(done)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  /** Rejects every call waiting for one of `channels` (all calls without `channels`). */
  reject(error: unknown, channels?: readonly string[]): void {
    for (const waiter of this.#waiters) {
      if (channels !== undefined && !channels.some((channel) => waiter.channels.includes(channel)))
        continue;
      this.#waiters.delete(waiter);
      waiter.reject(error);
    }
  }
}
