import { type Reply, ReplyError } from '@x/resp';
import { commandEndChannel, commandStartChannel, redactArgs } from './diagnostics.js';

/** Where a request is: not yet written, written and waiting, settled, or abandoned. */
export const RequestState = { Unwritten: 0, Written: 1, Done: 2, Cancelled: 3 } as const;
type RequestStateValue = (typeof RequestState)[keyof typeof RequestState];

/** What a request does with its reply once settled. */
export const Delivery = {
  /** A `do` caller: resolve with the reply, reject with an error reply. */
  Caller: 0,
  /** A `send` or an unsolicited reply: kept, errors as values, for receive() or a later do(). */
  Owned: 1,
} as const;
type DeliveryValue = (typeof Delivery)[keyof typeof Delivery];

/** Request is one command on its way, matched FIFO to one reply. */
export class Request {
  state: RequestStateValue = RequestState.Unwritten;
  reply: Reply = null;
  failure: unknown = undefined;
  /** Wire form until written; null afterwards. */
  wire: (string | Uint8Array)[] | null;
  readonly delivery: DeliveryValue;
  /** True when the server answers this command with push frames, not a reply (RESP3 SUBSCRIBE). */
  readonly repliesByPush: boolean;
  private resolveCaller: ((reply: Reply) => void) | null = null;
  private rejectCaller: ((error: unknown) => void) | null = null;
  private waiters: (() => void)[] | null = null;
  private cleanup: (() => void) | null = null;
  private traceStartMs = 0;
  private traceConnectionId = 0;

  constructor(
    wire: (string | Uint8Array)[] | null,
    delivery: DeliveryValue,
    repliesByPush = false,
  ) {
    this.wire = wire;
    this.delivery = delivery;
    this.repliesByPush = repliesByPush;
  }

  /** A promise for a Caller request: resolves with the reply, rejects with an error reply. */
  promise(): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.resolveCaller = resolve;
      this.rejectCaller = reject;
    });
  }

  /** Resolves when the request is settled, whatever the outcome. */
  settled(): Promise<void> {
    if (this.state === RequestState.Done || this.state === RequestState.Cancelled)
      return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (this.waiters === null) this.waiters = [];
      this.waiters.push(resolve);
    });
  }

  /** Runs `cleanup` once when the request settles (clears a timer, removes an abort listener). */
  onSettle(cleanup: () => void): void {
    this.cleanup = cleanup;
  }

  /** Records the reply; a cancelled request swallows it. */
  complete(reply: Reply): void {
    if (this.state === RequestState.Cancelled) return;
    this.state = RequestState.Done;
    this.reply = reply;
    if (this.traceStartMs !== 0) {
      if (reply instanceof ReplyError) this.traceEnd(undefined, reply);
      else this.traceEnd(reply, undefined);
    }
    if (this.resolveCaller !== null) {
      if (reply instanceof ReplyError) this.rejectCaller!(reply);
      else this.resolveCaller(reply);
    }
    this.finish();
  }

  /** Fails the request with `error` (fatal connection error, timeout, abort). */
  fail(error: unknown, state: RequestStateValue = RequestState.Done): void {
    if (this.state === RequestState.Done || this.state === RequestState.Cancelled) return;
    this.state = state;
    this.failure = error;
    if (this.traceStartMs !== 0) this.traceEnd(undefined, error);
    this.rejectCaller?.(error);
    this.finish();
  }

  /** Publishes the start of this command on the tracing channel. */
  traceStart(command: string, args: readonly unknown[], connectionId: number): void {
    this.traceStartMs = performance.now();
    this.traceConnectionId = connectionId;
    this.traceCommand = command;
    commandStartChannel.publish({ command, args: redactArgs(command, args), connectionId });
  }

  private traceCommand = '';

  private traceEnd(reply: Reply | undefined, error: unknown): void {
    const message: Record<string, unknown> = {
      command: this.traceCommand,
      connectionId: this.traceConnectionId,
      durationMs: performance.now() - this.traceStartMs,
    };
    if (error === undefined) message.reply = reply;
    else message.error = error;
    commandEndChannel.publish(message);
  }

  private finish(): void {
    this.wire = null;
    this.resolveCaller = null;
    this.rejectCaller = null;
    if (this.cleanup !== null) {
      this.cleanup();
      this.cleanup = null;
    }
    if (this.waiters !== null) {
      for (const wake of this.waiters) wake();
      this.waiters = null;
    }
  }
}
