import { type Reply, ReplyError } from '@x/resp';
import { type Waiter as CallWaiter, waitInQueue } from './call-guard.js';
import { NothingPendingError } from './errors.js';
import { Queue } from './queue.js';
import type { ReplySink, Request } from './request.js';
import { readTimeLimit } from './time-limit.js';
import type { CallOptions } from './types.js';

type Waiter = CallWaiter<Reply>;

/** A `send`'s reply in the stream, told apart from replies nobody asked for (stored bare). */
class SendReply {
  constructor(readonly reply: Reply) {}
}

/** A `send` that failed after it was written: its receive() rejects with `sent: true`. */
class SendFailure {
  constructor(readonly error: unknown) {}
}

/**
 * OwnerReplies is the stream `receive()` reads: the replies of `send` and the replies nobody
 * asked for (MONITOR output, RESP2 pub/sub), in the order they arrived, as Redigo's Receive
 * reads them off the wire. It also knows which of them answer sends (arrived or still awaited),
 * so that `do` can collect those and leave pub/sub messages and MONITOR lines to `receive`.
 *
 *   sent, awaiting:  [ s3 s4 ]  --reply-->  arrived: [ r1 r2 ]  --receive()-->
 *                                  unasked ---^
 */
export class OwnerReplies implements ReplySink {
  readonly #arrived = new Queue<Reply | SendReply | SendFailure>();
  /** Entries of #arrived that are SendReply. */
  #arrivedSends = 0;
  readonly #awaiting = new Queue<Request>();
  readonly #waiters = new Queue<Waiter>();
  #failure: unknown = null;
  /** Called after a reply is taken, so the connection can resume a paused socket. */
  readonly #onTaken: () => void;
  /** Whether replies nobody asked for may still come (RESP2 subscribed, MONITOR). */
  readonly #canArriveUnasked: () => boolean;

  constructor(onTaken: () => void, canArriveUnasked: () => boolean) {
    this.#onTaken = onTaken;
    this.#canArriveUnasked = canArriveUnasked;
  }

  /** Replies that arrived and are not read yet. */
  get buffered(): number {
    return this.#arrived.length;
  }

  /** True when a send's reply is owed to the owner: arrived unread, or still awaited. */
  get owed(): boolean {
    return this.#arrivedSends > 0 || this.#awaiting.length > 0;
  }

  /** Takes a `send`'s request: its reply will join the stream. */
  adopt(request: Request): void {
    request.sink = this;
    this.#awaiting.push(request);
  }

  reply(_request: Request, reply: Reply): void {
    this.#awaiting.shift();
    if (this.#waiters.length > 0) {
      this.push(reply);
      return;
    }
    this.#arrived.push(new SendReply(reply));
    this.#arrivedSends++;
  }

  confirmed(): void {
    this.#awaiting.shift();
    this.#releaseHopelessWaiters();
  }

  failed(_request: Request, error: unknown): void {
    this.#awaiting.shift();
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#arrived.push(new SendFailure(error));
    else waiter.reject(error);
  }

  /** Adds a reply: a send's, or one nobody asked for. */
  push(reply: Reply): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#arrived.push(reply);
    else if (reply instanceof ReplyError) waiter.reject(reply);
    else waiter.resolve(reply);
  }

  /**
   * Resolves to the next reply (an error reply rejects). Waits when none has arrived and one can
   * come (`canArrive`); giving up on the time limit or signal takes nothing from the stream.
   */
  receive(options: CallOptions | undefined): Promise<Reply> {
    if (options?.timeoutMs !== undefined) {
      try {
        readTimeLimit(options.timeoutMs, 'timeoutMs', 0);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#arrived.length > 0) {
      let reply = this.#arrived.shift() as Reply | SendReply | SendFailure;
      if (reply instanceof SendFailure) return Promise.reject(reply.error);
      if (reply instanceof SendReply) {
        reply = reply.reply;
        this.#arrivedSends--;
      }
      this.#onTaken();
      return reply instanceof ReplyError ? Promise.reject(reply) : Promise.resolve(reply);
    }
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#awaiting.length === 0 && !this.#canArriveUnasked())
      return Promise.reject(nothingPending());
    return waitInQueue<Reply>(
      options,
      (waiter) => this.#waiters.push(waiter),
      (waiter) => this.#waiters.extract((waiting) => waiting === waiter),
    );
  }

  /**
   * Hands every send's reply (arrived or awaited) to a `do` that collects them, except the
   * replies receive() calls already wait for: a waiting receive keeps its place.
   */
  claimAll(): { arrived: Reply[]; awaiting: Request[] } {
    const arrived =
      this.#arrivedSends === 0
        ? []
        : this.#arrived
            .extract((entry) => entry instanceof SendReply)
            .map((entry) => (entry as SendReply).reply);
    this.#arrivedSends = 0;
    const awaiting = this.#awaiting.drain();
    const kept = awaiting.splice(0, Math.min(this.#waiters.length, awaiting.length));
    for (const request of kept) this.#awaiting.push(request);
    return { arrived, awaiting };
  }

  /**
   * Waiting receives whose reply can no longer come (a `do` collected the sends, or RESP3
   * confirmed a SUBSCRIBE with pushes only) reject rather than wait for ever.
   */
  #releaseHopelessWaiters(): void {
    if (this.#waiters.length <= this.#awaiting.length || this.#canArriveUnasked()) return;
    const waiters = this.#waiters.drain();
    const served = this.#awaiting.length;
    for (const waiter of waiters.slice(0, served)) this.#waiters.push(waiter);
    for (const waiter of waiters.slice(served)) waiter.reject(nothingPending());
  }

  /** The connection failed: waiting and later receives reject; arrived replies stay readable. */
  fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const waiter of this.#waiters.drain()) waiter.reject(error);
  }
}

function nothingPending(): NothingPendingError {
  return new NothingPendingError(
    'receive() with nothing to receive: no send() awaits a reply and the connection is not subscribed',
  );
}
