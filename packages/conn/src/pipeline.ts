import { type Arg, type Reply, ReplyError } from '@x/resp';
import { NothingPendingError } from './errors.js';
import type { Pipeline } from './types.js';

/** Queues one command on the connection, apart from the owner's sends. */
export type Enqueue = (command: string, args: readonly Arg[]) => Promise<Reply>;

/** A pipeline over a shared connection: its replies are its own, in the order of its sends. */
export class ConnPipeline implements Pipeline {
  readonly #enqueue: Enqueue;
  readonly #flush: () => Promise<void>;
  readonly #replies: Promise<Reply>[] = [];

  constructor(enqueue: Enqueue, flush: () => Promise<void>) {
    this.#enqueue = enqueue;
    this.#flush = flush;
  }

  send(command: string, ...args: Arg[]): void {
    const reply = this.#enqueue(command, args);
    // Errors are read through receive(); this keeps an unread failure from being "unhandled".
    reply.catch(() => {});
    this.#replies.push(reply);
  }

  flush(): Promise<void> {
    return this.#flush();
  }

  receive(): Promise<Reply> {
    const next = this.#replies.shift();
    if (next === undefined)
      return Promise.reject(
        new NothingPendingError('receive() without a pending send on this pipeline'),
      );
    return next;
  }

  async receiveAll(): Promise<Reply[]> {
    const pending = this.#replies.splice(0);
    await this.#flush().catch(() => {});
    const settled = await Promise.allSettled(pending);
    return settled.map((outcome) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      if (outcome.reason instanceof ReplyError) return outcome.reason;
      throw outcome.reason;
    });
  }
}
