import { type Reply, ReplyError } from '@x/resp';
import { type ReplySink, type Request, RequestState } from './request.js';

/**
 * Collector gathers the replies a `do` owes its caller, as Redigo's Do reads every pending reply
 * before its own: replies of earlier sends that already arrived, sends still awaiting theirs,
 * and (for `do(cmd)`) the command itself, last. It settles once all are in, or on the first
 * failure.
 */
export class Collector implements ReplySink {
  readonly #replies: Reply[];
  readonly #requests: Request[];
  #remaining: number;
  #resolve: (replies: Reply[]) => void = () => {};
  #reject: (error: unknown) => void = () => {};
  #settled = false;
  readonly promise: Promise<Reply[]>;

  constructor(arrived: Reply[], requests: Request[]) {
    this.#replies = arrived;
    this.#requests = requests;
    this.#remaining = requests.length;
    this.promise = new Promise<Reply[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    for (const request of requests) {
      request.sink = this;
      request.slot = this.#replies.length;
      this.#replies.push(null);
    }
    if (this.#remaining === 0) this.#finish();
  }

  reply(request: Request, reply: Reply): void {
    this.#replies[request.slot] = reply;
    if (--this.#remaining === 0) this.#finish();
  }

  confirmed(): void {
    if (--this.#remaining === 0) this.#finish();
  }

  failed(_request: Request, error: unknown): void {
    this.giveUp(error);
  }

  /**
   * Stops collecting with `error`: unwritten commands are never sent and replies still to come
   * are read and dropped, so later replies stay in step.
   */
  giveUp(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const request of this.#requests) {
      if (request.state !== RequestState.Settled) request.abandon(error);
    }
    this.#reject(error);
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(this.#replies);
  }
}

/** Redigo's Do outcome: the first error reply among all, else the last reply. */
export function doOutcome(replies: Reply[]): Reply {
  for (const reply of replies) if (reply instanceof ReplyError) throw reply;
  return replies[replies.length - 1] ?? null;
}
