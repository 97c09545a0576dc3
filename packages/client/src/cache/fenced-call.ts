import { __internal, type CallOptions } from '@x/conn';
import { type Reply, ReplyError } from '@x/resp';

const { armCallOptions, hasCallLimits } = __internal;
type Request = __internal.Request;

/**
 * FencedCall is a script's call (EVAL, EVALSHA, FCALL) while the cache holds something: the
 * script may write keys it was not given, and the server sends their invalidations right after
 * its reply. A PING written right behind it is the fence: its reply comes after them.
 *
 *   wire:    EVAL ... │ PING          replies:  <script reply>  >invalidate [k]  +PONG
 *   caller:  settles at +PONG, synchronously (before any later reply's caller), with the
 *            script's outcome
 *
 * Both requests report here (ReplySink) rather than to promises, so nothing is chained. When
 * the fence cannot be had (the PING failed, or the call's time limit or signal ran out after
 * the script answered) the cache is dropped whole instead, and the caller still gets its reply.
 */
export class FencedCall {
  readonly promise: Promise<Reply>;
  readonly #script: Request;
  readonly #dropCache: () => void;
  #resolve!: (reply: Reply) => void;
  #reject!: (error: unknown) => void;
  #disarm: (() => void) | null = null;
  #answered = false;
  #outcome: Reply = null;
  #fenceDone = false;
  #settled = false;

  constructor(script: Request, dropCache: () => void) {
    this.#script = script;
    this.#dropCache = dropCache;
    this.promise = new Promise<Reply>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    script.sink = this;
  }

  /** Bounds the whole call; `abandon` gives the script request up when it has not answered. */
  arm(options: CallOptions | undefined, abandon: (error: unknown) => void): void {
    if (!hasCallLimits(options)) return;
    this.#disarm = armCallOptions(options, (error) => {
      if (this.#answered) {
        // The script ran and answered; only the fence is late: give up on it, not the reply.
        this.#dropCache();
        this.#settle();
      } else {
        abandon(error);
        this.#fail(error);
      }
    });
  }

  /** The PING written right behind the script: the call settles when its reply comes. */
  fenceWith(ping: Request): void {
    ping.sink = this;
  }

  /** The fence could not be sent: the cache is dropped when the script answers. */
  unfenced(): void {
    this.#fenceDone = true;
    this.#dropCache();
  }

  /** ReplySink: the script's reply, or the fence's. */
  reply(request: Request, reply: Reply): void {
    if (request === this.#script) {
      this.#answered = true;
      this.#outcome = reply;
    } else {
      this.#fenceDone = true;
    }
    if (this.#answered && this.#fenceDone) this.#settle();
  }

  /** ReplySink: a script is never confirmed by pub/sub frames. */
  confirmed(request: Request): void {
    this.reply(request, null);
  }

  /** ReplySink: the connection failed with the request on board (the script: not carried over). */
  failed(request: Request, error: unknown): void {
    if (request === this.#script) {
      this.#fail(error);
      return;
    }
    // The fence's connection failed, and the cache with it; the script may be carried over.
    this.#fenceDone = true;
    this.#dropCache();
    if (this.#answered) this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#disarm?.();
    if (ReplyError.is(this.#outcome)) this.#reject(this.#outcome);
    else this.#resolve(this.#outcome);
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#disarm?.();
    this.#reject(error);
  }
}
