import { NothingPendingError } from '@x/conn';
import type { Arg, Reply } from '@x/resp';

/** Routes one command of a pipeline; `after` settles first if the command must be sent again. */
export type RoutePipelined = (
  command: string,
  args: readonly Arg[],
  after: Promise<Reply> | undefined,
) => Promise<Reply>;

/**
 * ClusterPipeline is a caller's queue of commands that may live on any node. Each is routed on
 * its own as it is sent (every node's share goes out at once, auto-pipelined per node), and
 * replies come back in send order. A command that has to be sent again (MOVED, ASK, TRYAGAIN)
 * waits until the commands sent before it have settled, so that a redirect does not overtake
 * them: a write then a read of a key in a moving slot reads the write.
 */
export class ClusterPipeline {
  readonly #route: RoutePipelined;
  readonly #replies: Promise<Reply>[] = [];
  #last: Promise<Reply> | undefined;

  constructor(route: RoutePipelined) {
    this.#route = route;
  }

  /** Routes and sends a command now. */
  send(command: string, ...args: Arg[]): void {
    const reply = this.#route(command, args, this.#last);
    // Errors are read through receive() or receiveAll(); none is "unhandled" meanwhile.
    reply.catch(() => {});
    this.#replies.push(reply);
    this.#last = reply;
  }

  /** Commands are written as they are sent: nothing to flush. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves to the reply of the oldest unread send; rejects with its error. */
  receive(): Promise<Reply> {
    const next = this.#replies.shift();
    if (next === undefined)
      return Promise.reject(
        new NothingPendingError('receive() without a pending send on this pipeline'),
      );
    return next;
  }

  /**
   * Every unread reply in send order, once all have settled; a command's failure is its value
   * there (an error reply, a CrossSlotError, a ClusterRoutingError, a ConnectionError), so the
   * caller learns what every other command did.
   */
  async receiveAll(): Promise<(Reply | Error)[]> {
    const settled = await Promise.allSettled(this.#replies.splice(0));
    return settled.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error),
    );
  }
}
