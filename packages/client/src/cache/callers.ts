import { __internal } from '@x/conn';
import type { Reply } from '@x/resp';
import type { CachedCallOptions } from './cache-options.js';
import type { PendingItem, Waiter } from './pending-read.js';

const { armCallOptions, hasCallLimits } = __internal;

/** Hears of callers that gave up (time limit, signal) before their items settled. */
export interface Abandonment {
  gaveUp(items: readonly PendingItem[]): void;
}

/**
 * A caller of the cache: a promise settled by the items it waits for, or by its own time limit
 * or signal first. Giving up ends only its own wait; the read goes on for the others, unless
 * nobody waits for it any more and it has not been sent.
 */
abstract class Caller implements Waiter {
  readonly promise: Promise<Reply>;
  #resolve!: (reply: Reply) => void;
  #reject!: (error: unknown) => void;
  #disarm: (() => void) | null = null;
  #done = false;
  readonly #items: PendingItem[] = [];
  readonly #abandonment: Abandonment;

  constructor(options: CachedCallOptions | undefined, abandonment: Abandonment) {
    this.#abandonment = abandonment;
    this.promise = new Promise<Reply>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (hasCallLimits(options))
      this.#disarm = armCallOptions(options, (error) => this.#giveUp(error));
  }

  abstract itemSettled(item: PendingItem, position: number): void;

  joined(item: PendingItem): void {
    this.#items.push(item);
  }

  #giveUp(error: unknown): void {
    if (this.#done) return;
    this.fail(error);
    this.#abandonment.gaveUp(this.#items);
  }

  get done(): boolean {
    return this.#done;
  }

  protected resolve(reply: Reply): void {
    if (this.#done) return;
    this.#done = true;
    this.#disarm?.();
    this.#resolve(reply);
  }

  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#disarm?.();
    this.#reject(error);
  }
}

/** One key, one value. */
export class OneCaller extends Caller {
  itemSettled(item: PendingItem): void {
    if (item.held === null) this.fail(item.error);
    else if (!this.done) this.resolve(item.value());
  }
}

/** MGET: values in the caller's order, some from memory, the rest as their items settle. */
export class ManyCaller extends Caller {
  readonly values: Reply[];
  #outstanding = 0;

  constructor(keys: number, options: CachedCallOptions | undefined, abandonment: Abandonment) {
    super(options, abandonment);
    this.values = new Array<Reply>(keys).fill(null);
  }

  /** One more value to wait for. */
  expect(): void {
    this.#outstanding++;
  }

  /** Resolves now when nothing is outstanding (every key was in memory). */
  resolveIfComplete(): void {
    if (this.#outstanding === 0) this.resolve(this.values);
  }

  itemSettled(item: PendingItem, position: number): void {
    if (this.done) return;
    if (item.held === null) {
      this.fail(item.error);
      return;
    }
    this.values[position] = item.value();
    if (--this.#outstanding === 0) this.resolve(this.values);
  }
}
