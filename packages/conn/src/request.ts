import { type Reply, ReplyError } from '@x/resp';
import type { CommandKind } from './command-kind.js';
import { CommandTrace } from './command-trace.js';
import type { ExecRedaction } from './redaction.js';
import type { Confirming } from './subscriptions.js';
import type { TraceTarget } from './trace-context.js';

/** A command's arguments, converted once: what the encoder writes. */
export type WireCommand = (string | Uint8Array)[];

/** Turns a `do` caller's failure into what the caller gets instead; see Request.recover. */
export type Recover = (error: unknown) => Promise<Reply>;

/** Takes over a request whose connection failed; see Request.carryOver. */
export type CarryOver = (request: Request, error: unknown) => boolean;

/** Where a request is on its way. */
export const RequestState = { Unwritten: 0, Written: 1, Settled: 2 } as const;
type RequestStateValue = (typeof RequestState)[keyof typeof RequestState];

const STATE_MASK = 0b11;
const ABANDONED = 0b100;
const KIND_SHIFT = 3;
const KIND_MASK = 0b1111 << KIND_SHIFT;
const LOW_BITS = 0b111_1111;
const SLOT_UNIT = LOW_BITS + 1;

/** Receives the outcome of a request that has no caller of its own (a `send`). */
export interface ReplySink {
  /** The request's reply, error replies included. */
  reply(request: Request, reply: Reply): void;
  /** The server confirmed the request with frames only (RESP3 SUBSCRIBE): it has no reply. */
  confirmed(request: Request): void;
  /** The request failed: a fatal connection error. */
  failed(request: Request, error: unknown): void;
}

/**
 * Request is one command on its way: unwritten, then written and awaiting its reply, then
 * settled. A `do` caller's request settles a promise; a `send`'s goes to a sink (the owner's
 * replies, or a `do` that collects earlier sends).
 *
 * Every field costs 8 bytes per command in flight (Node's heap has no pointer compression), so
 * four small values share one integer and a `do`'s resolve shares a field with a `send`'s sink:
 *
 *   #bits:    ... slot (a send's position in its collector) | kind (4 bits) | abandoned | state (2 bits)
 *              bit 7 up                                      bits 3-6        bit 2       bits 0-1
 *   #settle:  a `do`: the promise's resolve  |  a `send`: its ReplySink  |  null
 *
 * The slot is stored by multiplication, not shifts: a collector past 2^24 sends stays exact.
 * No private methods either: they would add a brand field to every instance.
 */
export class Request {
  #bits: number;
  /** Converted arguments until written; null afterwards. */
  wire: WireCommand | null;
  #settle: ((reply: Reply) => void) | ReplySink | null = null;
  #reject: ((error: unknown) => void) | null = null;
  /**
   * Takes the request over when its connection fails before answering it, instead of failing it:
   * a reconnecting client sends it on its next connection. Called for a request never written,
   * and for one written when `keepsWire` (reset to unwritten first); returns false to let it fail.
   */
  carryOver: CarryOver | null = null;
  /** What most requests never set, allocated by the first that is: see RareFields. */
  #rare: RareFields | null = null;

  constructor(
    wire: WireCommand,
    kind: CommandKind,
    confirming: Confirming | null,
    blockingMs: number,
  ) {
    this.#bits = RequestState.Unwritten | (kind << KIND_SHIFT);
    this.wire = wire;
    if (confirming !== null) this.confirming = confirming;
    if (blockingMs !== 0) Request.#rareOf(this).blockingMs = blockingMs;
  }

  get state(): RequestStateValue {
    return (this.#bits & STATE_MASK) as RequestStateValue;
  }

  set state(state: RequestStateValue) {
    this.#bits = this.#bits - (this.#bits & STATE_MASK) + state;
  }

  /** The caller gave up (time limit, signal): never written if not yet, its reply dropped if so. */
  get abandoned(): boolean {
    return (this.#bits & ABANDONED) !== 0;
  }

  set abandoned(abandoned: boolean) {
    if (abandoned !== this.abandoned) this.#bits += abandoned ? ABANDONED : -ABANDONED;
  }

  get kind(): CommandKind {
    return ((this.#bits & KIND_MASK) >> KIND_SHIFT) as CommandKind;
  }

  /** For a `send`: where its outcome goes. Replaced when a `do` collects it. */
  get sink(): ReplySink | null {
    const settle = this.#settle;
    return typeof settle === 'function' ? null : settle;
  }

  set sink(sink: ReplySink | null) {
    // One field holds either: a sink would silently take a `do` caller's promise away.
    if (typeof this.#settle === 'function')
      throw new Error('internal: a request with a caller promise cannot take a sink');
    this.#settle = sink;
  }

  /** Position in the collecting `do`'s replies. */
  get slot(): number {
    return (this.#bits - (this.#bits & LOW_BITS)) / SLOT_UNIT;
  }

  set slot(slot: number) {
    this.#bits = slot * SLOT_UNIT + (this.#bits & LOW_BITS);
  }

  /** Subscribe family (and an EXEC that ran one): the frames still expected; null for others. */
  get confirming(): Confirming | null {
    return this.#rare?.confirming ?? null;
  }

  set confirming(confirming: Confirming | null) {
    if (confirming !== null || this.#rare !== null) Request.#rareOf(this).confirming = confirming;
  }

  /** Extra time the server may hold the reply (blocking commands); -1 for no limit. */
  get blockingMs(): number {
    return this.#rare?.blockingMs ?? 0;
  }

  /** EXEC after a transaction that queued a secret command: how its reply is redacted. */
  get execRedaction(): ExecRedaction | null {
    return this.#rare?.execRedaction ?? null;
  }

  /** Keep `wire` after the write, so that carryOver can send the request again. */
  get keepsWire(): boolean {
    return this.#rare?.keepsWire ?? false;
  }

  set keepsWire(keeps: boolean) {
    if (keeps || this.#rare !== null) Request.#rareOf(this).keepsWire = keeps;
  }

  static #rareOf(request: Request): RareFields {
    request.#rare ??= new RareFields();
    return request.#rare;
  }

  /** The promise of a `do` caller: resolves with the reply, rejects on an error reply. */
  promise(): Promise<Reply> {
    if (this.#settle !== null)
      throw new Error('internal: a request has one caller promise or one sink, not both');
    return new Promise<Reply>((resolve, reject) => {
      this.#settle = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Takes over the `do` caller's failure (an error reply, a failed connection): the caller's
   * promise follows the promise `recover` returns instead of rejecting. A cluster client redirects
   * this way without a promise of its own per call. Never for the caller's own limits (abandon).
   */
  set recover(recover: Recover) {
    Request.#rareOf(this).recover = recover;
  }

  /** Runs `disarm` once when the request settles (clears a time limit, removes a signal listener). */
  onSettle(disarm: () => void): void {
    Request.#rareOf(this).disarm = disarm;
  }

  /** True once standIn() replaced this command: what it would have changed, it does not. */
  get refused(): boolean {
    return (this.#rare?.refusal ?? null) !== null;
  }

  /**
   * Refuses this command where it stands in the queue: `wire` is written in its place, and the
   * request fails with `refusal` when that reply comes, so every reply keeps its order.
   */
  standIn(wire: WireCommand, refusal: Error): void {
    this.wire = wire;
    this.confirming = null;
    Request.#rareOf(this).refusal = refusal;
  }

  /** Settles with the server's reply; an abandoned request drops it. */
  complete(reply: Reply): void {
    const rare = this.#rare;
    if (rare !== null && rare.refusal !== null) {
      this.fail(rare.refusal);
      return;
    }
    if (this.state === RequestState.Settled) return;
    this.state = RequestState.Settled;
    this.wire = null;
    if (rare !== null && rare.trace !== null) rare.trace.settled(reply, undefined);
    if (this.abandoned) return;
    rare?.disarm?.();
    const settle = this.#settle;
    if (settle !== null && typeof settle !== 'function') settle.reply(this, reply);
    else if (reply instanceof ReplyError) Request.#failCaller(this, reply);
    else settle?.(reply);
  }

  /** Settles a request the server answered with confirmation frames only: its reply is null. */
  confirm(): void {
    if (this.state === RequestState.Settled) return;
    this.state = RequestState.Settled;
    const rare = this.#rare;
    if (rare !== null && rare.trace !== null) rare.trace.settled(null, undefined);
    if (this.abandoned) return;
    rare?.disarm?.();
    const settle = this.#settle;
    if (settle !== null && typeof settle !== 'function') settle.confirmed(this);
    else settle?.(null);
  }

  /** Settles with a failure: a fatal connection error. */
  fail(error: unknown): void {
    if (this.state === RequestState.Settled) return;
    this.state = RequestState.Settled;
    this.wire = null;
    const rare = this.#rare;
    if (rare !== null && rare.trace !== null) rare.trace.settled(undefined, error);
    if (this.abandoned) return;
    rare?.disarm?.();
    const settle = this.#settle;
    if (settle !== null && typeof settle !== 'function') settle.failed(this, error);
    else Request.#failCaller(this, error);
  }

  static #failCaller(request: Request, error: unknown): void {
    const recover = request.#rare?.recover ?? null;
    if (recover === null) {
      request.#reject?.(error);
      return;
    }
    // On a later tick, not inside the connection's reply loop: recovery sends commands itself.
    const settle = request.#settle;
    if (typeof settle === 'function')
      settle(Promise.resolve(error).then(recover) as unknown as Reply);
  }

  /**
   * The caller gives up with `error`: the promise rejects now; the request is never written if it
   * was not yet, and its reply is dropped when it comes.
   */
  abandon(error: unknown): void {
    if (this.state === RequestState.Settled || this.abandoned) return;
    this.abandoned = true;
    const trace = this.#rare?.trace ?? null;
    if (this.state === RequestState.Unwritten) {
      this.state = RequestState.Settled;
      this.wire = null;
      if (trace !== null) trace.settled(undefined, error);
    } else if (trace !== null) {
      trace.gaveUp(error);
    }
    this.#reject?.(error);
  }

  /** Publishes the start of this command on the tracing channels; its end follows when it settles. */
  traceStart(command: string, args: readonly unknown[], target: TraceTarget): void {
    Request.#rareOf(this).trace = new CommandTrace(command, args, target);
  }

  /** A client moved the request to another connection: its trace names that one from now on. */
  retarget(target: TraceTarget): void {
    this.#rare?.trace?.retarget(target);
  }

  /** EXEC after a transaction with secrets: its caller's errors and its trace redacted so. */
  redactExecWith(redaction: ExecRedaction): void {
    const rare = Request.#rareOf(this);
    rare.execRedaction = redaction;
    rare.trace?.redactWith(redaction);
  }
}

/**
 * RareFields are what a plain command never sets (a time limit's clean-up, a trace, a
 * subscription's confirmations, a blocking allowance, a transaction's redaction, a stand-in's
 * refusal, a cluster's recovery): one object, made by the first request that needs it, so that the many that do not
 * carry a single empty slot instead of seven.
 */
class RareFields {
  confirming: Confirming | null = null;
  blockingMs = 0;
  disarm: (() => void) | null = null;
  trace: CommandTrace | null = null;
  execRedaction: ExecRedaction | null = null;
  keepsWire = false;
  refusal: Error | null = null;
  recover: Recover | null = null;
}
