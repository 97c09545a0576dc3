import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import {
  type Arg,
  CommandEncoder,
  commandToWire,
  Decoder,
  ProtocolError,
  Push,
  type Reply,
  ReplyError,
} from '@x/resp';
import { armCallOptions, checkCallOptions, hasCallLimits } from './call-guard.js';
import { Collector, doOutcome } from './collector.js';
import {
  blockingAllowanceMs,
  CommandKind,
  checkClientCommand,
  commandKind,
} from './command-kind.js';
import { type ConnOptions, readConnOptions } from './conn-options.js';
import { redactError, tracing } from './diagnostics.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { OwnerReplies } from './owner-replies.js';
import { ConnPipeline } from './pipeline.js';
import { Queue } from './queue.js';
import { Request, RequestState } from './request.js';
import {
  type Confirming,
  confirmationKind,
  isMessage,
  SubscriptionTracker,
} from './subscriptions.js';
import { LongTimer, readTimeLimit } from './time-limit.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

const WRITE_BATCH_BYTES = 1024 * 1024;

let nextConnectionId = 1;

/**
 * Connection is one Redis connection, safe for concurrent callers: commands issued in the same
 * tick leave in one write and replies are matched to them in order. `send`/`flush`/`receive`
 * keep Redigo's single-owner meaning; `pipeline()` gives a caller that shares the connection a
 * queue of its own.
 *
 * One ordered request queue, in two parts:
 *
 *   do / send / pipeline ──► unwritten ──write, one per tick──► written ──reply──► settled
 *                            [ r7 r8 ]                          [ r3 r4 r5 r6 ]
 *        given up before the write: skipped, never sent ─┘       └─ given up after: its reply
 *                                                                   is read and dropped
 *
 * Each frame from the server is routed by what it is, never by what a command usually gets:
 *   push frame (RESP3)        to the push listeners; a subscribe confirmation also counts
 *                             towards the head when the head is that subscribe command
 *   RESP2 pub/sub message     to the owner's replies (receive()) while subscribed
 *   any other reply           to the head of `written`; with nothing written, to the owner's
 *                             replies when unasked replies are expected (MONITOR, RESP2
 *                             pub/sub), else the connection fails: a protocol violation
 *
 * States:  open ──close()──► closing: no new calls, issued ones finish ──► closed
 *            └───── fatal error, destroy(), closeTimeoutMs ─────────────────┘
 */
export class Connection implements Conn {
  /** A number that tells connections apart in traces and logs. */
  readonly id = nextConnectionId++;
  readonly #socket: Socket;
  readonly #decoder: Decoder;
  readonly #encoder = new CommandEncoder();
  /** The protocol the server speaks now: set by the options, then followed through HELLO and RESET. */
  #resp3: boolean;
  readonly #readTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #maxBufferedReplies: number;
  readonly #maxArgBytes: number | undefined;
  #unwritten: Request[] = [];
  readonly #written = new Queue<Request>();
  readonly #owner = new OwnerReplies(
    () => this.#resumeIfBelowLimit(),
    () => this.#expectsUnasked() && this.#fatal === null,
  );
  #subscriptions = new SubscriptionTracker();
  readonly #pushListeners = new Set<(push: Push) => void>();
  /** MONITOR was written (and no RESET since): monitor lines are data, not strays. */
  #monitoring = false;
  /** RESP2 SUBSCRIBE commands written and not yet settled: their confirmations may come unasked. */
  #subscribesInFlight = 0;
  /** Inside MULTI (as written): confirmation frames beyond one per queued command; -1 outside. */
  #transactionSurplus = -1;
  #fatal: ConnectionError | null = null;
  #closing: ConnectionError | null = null;
  /** Stops close()'s time limit or signal listener. */
  #disarmClose: () => void = () => {};
  #flushScheduled = false;
  #draining = false;
  #writeTimer: NodeJS.Timeout | undefined;
  #drained: Promise<void> | null = null;
  #wakeDrained: () => void = () => {};
  #pausedForBuffer = false;
  #pausedByConsumer = false;
  #readingPaused = false;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  /** When the server last sent (part of) a reply, or a command was written to an empty queue. */
  #progressAt = Date.now();
  #deadlineTimer: LongTimer | undefined;
  #bytesRead = 0;
  #repliesRead = 0;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: ConnOptions = {}) {
    const settings = readConnOptions(options);
    this.#readTimeoutMs = settings.readTimeoutMs;
    this.#writeTimeoutMs = settings.writeTimeoutMs;
    this.#closeTimeoutMs = settings.closeTimeoutMs;
    this.#maxBufferedReplies = settings.maxBufferedReplies;
    this.#maxArgBytes = settings.maxArgBytes;
    const keepAlivePingMs = settings.keepAlivePingMs;
    this.#socket = socket;
    this.#resp3 = settings.resp3;
    this.#decoder = new Decoder({
      ...options.decoder,
      onReply: (reply) => this.#onReply(reply),
      onPush: (push) => this.#onPush(push),
    });
    this.#closed = new Promise((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    if (keepAlivePingMs > 0) {
      this.#keepAliveTimer = setInterval(
        () => this.#keepAlive(keepAlivePingMs),
        Math.min(keepAlivePingMs, 2 ** 31 - 1),
      ).unref();
    }
    socket.on('data', (chunk: Buffer) => {
      const repliesBefore = this.#repliesRead;
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.#fail(error, `invalid reply from server: ${(error as Error).message}`);
      }
      // Progress is a reply, or part of one: a stream of push frames alone is not an answer.
      if (this.#repliesRead !== repliesBefore || !this.#decoder.idle) this.#progressAt = Date.now();
      this.#bytesRead += chunk.length;
    });
    socket.on('error', (error) => this.#fail(error, `connection failed: ${error.message}`));
    socket.on('close', () => this.#fail(undefined, 'server closed the connection'));
    // A socket that closed before it was handed over will send no 'close' event.
    if (socket.destroyed) this.#fail(undefined, 'the socket was already closed');
  }

  /** Runs a command and resolves to its reply after every earlier `send` reply is read. */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(undefined, command, args, false);
  }

  /** `do` with a signal and/or a time limit for this call alone. */
  doWith(options: CallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(options, command, args, false);
  }

  /** Redigo's DoWithTimeout: `do` that rejects with TimeoutError after `timeoutMs`. */
  doWithTimeout(timeoutMs: number, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call({ timeoutMs }, command, args, false);
  }

  /** Queues a command in the output buffer; `flush`, `do` or `receive` writes it. */
  send(command: string, ...args: Arg[]): void {
    const refused = this.#refusal();
    if (refused !== null) throw refused;
    const request = this.#newRequest(command, args);
    this.#owner.adopt(request);
    this.#unwritten.push(request);
  }

  /** Writes the output buffer; resolves once the socket has taken all of it. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#fatal !== null) throw this.#fatal;
      this.#write();
      if (!this.#draining) break;
      this.#drained ??= new Promise<void>((resolve) => {
        this.#wakeDrained = resolve;
      });
      await this.#drained;
    }
    await new Promise<void>((resolve, reject) => {
      // An empty write is queued behind the data, so its callback means everything went out.
      this.#socket.write('', (error) => (error ? reject(this.#fatal ?? error) : resolve()));
    });
  }

  /**
   * Resolves to the next reply owned by this connection's user: a `send`'s, or one the server
   * sent unasked (RESP2 pub/sub, MONITOR), in the order they arrived. Writes pending sends first.
   */
  receive(): Promise<Reply> {
    return this.receiveWith(undefined);
  }

  /** Redigo's ReceiveWithTimeout. */
  receiveWithTimeout(timeoutMs: number): Promise<Reply> {
    return this.receiveWith({ timeoutMs });
  }

  /** `receive` with a signal and/or a time limit; giving up takes nothing from the stream. */
  receiveWith(options: CallOptions | undefined): Promise<Reply> {
    this.#write();
    return this.#owner.receive(options);
  }

  /** A pipeline: a private queue of commands and replies on this shared connection. */
  pipeline(): Pipeline {
    return new ConnPipeline(
      (command, args) => this.#call(undefined, command, args, true),
      () => this.flush(),
    );
  }

  /** Listens for RESP3 push frames (pub/sub messages, invalidations); returns the unsubscribe. */
  onPush(listener: (push: Push) => void): () => void {
    this.#pushListeners.add(listener);
    return () => this.#pushListeners.delete(listener);
  }

  /** The protocol this connection speaks: 2, or 3 after HELLO 3. */
  get protocol(): 2 | 3 {
    return this.#resp3 ? 3 : 2;
  }

  /** Resolves when the socket has closed, for whatever reason; `err()` then tells why. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Replies received that no one has read yet (from send, MONITOR, RESP2 pub/sub). */
  get bufferedReplies(): number {
    return this.#owner.buffered;
  }

  /**
   * Stops reading from the socket until resumeReading(), for a slow consumer of push frames. The
   * server buffers meanwhile (up to its client-output-buffer-limit). Reading goes on while any
   * command awaits its reply, so a caller is never held back.
   */
  pauseReading(): void {
    this.#pausedByConsumer = true;
    this.#updateReading();
  }

  /** Reads from the socket again after pauseReading(). */
  resumeReading(): void {
    this.#pausedByConsumer = false;
    this.#updateReading();
  }

  /** The error that made this connection unusable, or null while it works. */
  err(): ConnectionError | null {
    return this.#fatal;
  }

  /**
   * Closes gracefully: new calls are refused, commands already issued are written and finish
   * with their replies, then the socket closes. After `closeTimeoutMs` (or `options.timeoutMs`),
   * or when `options.signal` aborts, what is still pending rejects with ConnectionError.
   */
  close(options?: CallOptions): Promise<void> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (this.#fatal !== null || this.#closing !== null) return this.#closed;
    this.#closing = new ConnectionError('connection closed', { code: 'ERR_CLOSED' });
    this.#write();
    if (this.#settledAll()) {
      this.#finishClose();
      return this.#closed;
    }
    const giveUp = (cause: unknown) =>
      this.#fail(cause, 'connection closed before every reply arrived', 'ERR_CLOSED');
    if (hasCallLimits(options)) {
      this.#disarmClose = armCallOptions(options, giveUp, 'reply before close');
    } else if (this.#closeTimeoutMs > 0) {
      const timer = new LongTimer(this.#closeTimeoutMs, () =>
        giveUp(new TimeoutError(`no reply within ${this.#closeTimeoutMs} ms of close()`)),
      );
      this.#disarmClose = () => timer.clear();
    }
    return this.#closed;
  }

  /** Closes at once: every pending call rejects with ConnectionError whose cause is `reason`. */
  destroy(reason?: unknown): void {
    this.#fail(reason, 'connection destroyed', 'ERR_DESTROYED');
  }

  [inspect.custom](): string {
    const state =
      this.#fatal !== null
        ? `broken: ${this.#fatal.message}`
        : this.#closing !== null
          ? 'closing'
          : 'open';
    return `Connection { id: ${this.id}, ${state}, inflight: ${this.#written.length} }`;
  }

  #refusal(): ConnectionError | null {
    return this.#fatal ?? this.#closing;
  }

  /** do, doWith and pipeline sends. `alone` (pipelines) leaves the owner's sends to the owner. */
  #call(
    options: CallOptions | undefined,
    command: string,
    args: readonly Arg[],
    alone: boolean,
  ): Promise<Reply> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (command === '' && !alone) return this.#collectOwned(options);
    const refused = this.#refusal();
    if (refused !== null) return Promise.reject(refused);
    let request: Request;
    try {
      request = this.#newRequest(command, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!alone && this.#owner.owed) return this.#doAfterSends(request, options);
    const promise = request.promise();
    if (options !== undefined) {
      const disarm = armCallOptions(options, (error) => request.abandon(error));
      // Given up already (aborted signal, bad option): never queued.
      if (request.state === RequestState.Settled) return promise;
      request.onSettle(disarm);
    }
    this.#unwritten.push(request);
    this.#scheduleFlush();
    return promise;
  }

  /** Redigo's Do after sends: read every earlier reply too, and fail with the first error reply. */
  #doAfterSends(request: Request, options: CallOptions | undefined): Promise<Reply> {
    const { arrived, awaiting } = this.#owner.claimAll();
    awaiting.push(request);
    const collector = new Collector(arrived, awaiting);
    this.#unwritten.push(request);
    this.#guard(collector, options);
    this.#scheduleFlush();
    return collector.promise.then(doOutcome);
  }

  /** do(""): flush and resolve to every owned reply (errors as values), or null with none. */
  #collectOwned(options: CallOptions | undefined): Promise<Reply> {
    if (!this.#owner.owed) return Promise.resolve(null);
    const { arrived, awaiting } = this.#owner.claimAll();
    if (arrived.length === 0 && awaiting.length === 0) return Promise.resolve(null);
    const collector = new Collector(arrived, awaiting);
    this.#guard(collector, options);
    this.#scheduleFlush();
    return collector.promise;
  }

  #guard(collector: Collector, options: CallOptions | undefined): void {
    if (!hasCallLimits(options)) return;
    const disarm = armCallOptions(options, (error) => collector.giveUp(error));
    collector.promise.then(disarm, disarm);
  }

  #newRequest(command: string, args: readonly Arg[]): Request {
    if (typeof command !== 'string')
      throw new TypeError(`the command name must be a string, got ${typeof command}`);
    const wire = commandToWire([command, ...args], this.#maxArgBytes);
    const kind = commandKind(command);
    let confirming: Confirming | null = null;
    let blockingMs = 0;
    if (kind === CommandKind.Blocking) {
      blockingMs = blockingAllowanceMs(command, wire);
    } else if (kind === CommandKind.Client) {
      checkClientCommand(wire);
    } else if (kind === CommandKind.Subscribe || kind === CommandKind.Unsubscribe) {
      // SUBSCRIBE without names is an ordinary error reply; UNSUBSCRIBE without names is
      // confirmed once per subscription held when the server runs it.
      const named = wire.length - 1;
      if (named > 0 || kind === CommandKind.Unsubscribe)
        confirming = { kind: command.toLowerCase(), remaining: named > 0 ? named : -1 };
    }
    const request = new Request(wire, kind, confirming, blockingMs);
    if (tracing()) request.traceStart(command.toUpperCase(), args, this.id);
    return request;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => {
      this.#flushScheduled = false;
      this.#write();
    });
  }

  /** Writes queued commands in batches, stopping while the socket asks us to wait (drain). */
  #write(): void {
    if (this.#draining || this.#fatal !== null) return;
    const batch = this.#unwritten;
    if (batch.length === 0) return;
    this.#unwritten = [];
    let index = 0;
    while (index < batch.length) {
      while (index < batch.length && this.#encoder.byteLength < WRITE_BATCH_BYTES) {
        const request = batch[index++]!;
        if (request.state !== RequestState.Unwritten) continue;
        if (request.kind !== CommandKind.Plain && this.#refusedInTransaction(request)) continue;
        this.#encoder.addWire(request.wire!);
        // A secret command keeps its arguments until settled, to redact the server's echo of them.
        if (request.kind !== CommandKind.Secret && request.kind !== CommandKind.Hello)
          request.wire = null;
        request.state = RequestState.Written;
        if (request.kind !== CommandKind.Plain) this.#noteWritten(request);
        this.#written.push(request);
        if (this.#written.length === 1) this.#startAwaiting();
      }
      if (!this.#writeChunks(this.#encoder.take())) {
        this.#unwritten = batch.slice(index).concat(this.#unwritten);
        this.#waitForDrain();
        return;
      }
    }
    if (this.#closing !== null && this.#settledAll()) this.#finishClose();
  }

  #writeChunks(chunks: Buffer[]): boolean {
    if (chunks.length === 0) return true;
    if (chunks.length === 1) return this.#socket.write(chunks[0]!);
    let writable = true;
    this.#socket.cork();
    for (const chunk of chunks) writable = this.#socket.write(chunk) && writable;
    this.#socket.uncork();
    return writable;
  }

  #noteWritten(request: Request): void {
    switch (request.kind) {
      case CommandKind.Monitor:
        this.#monitoring = true;
        break;
      case CommandKind.Multi:
        this.#transactionSurplus = 0;
        break;
      case CommandKind.Discard:
        this.#transactionSurplus = -1;
        break;
      case CommandKind.Exec:
        if (this.#transactionSurplus > 0)
          request.confirming = { kind: 'exec', remaining: this.#transactionSurplus, parts: null };
        this.#transactionSurplus = -1;
        break;
      case CommandKind.Subscribe:
      case CommandKind.Unsubscribe: {
        if (request.kind === CommandKind.Subscribe) this.#subscribesInFlight++;
        const confirming = request.confirming;
        if (this.#transactionSurplus >= 0 && confirming !== null) {
          const frames =
            confirming.remaining >= 0
              ? confirming.remaining
              : this.#subscriptions.expectedForAll(confirming.kind);
          this.#transactionSurplus += frames - 1;
        }
      }
    }
  }

  /**
   * An UNSUBSCRIBE without names queued in MULTI is confirmed once per channel held when EXEC
   * runs, which cannot be known when it is written: EXEC's reply could not be framed. Refused.
   */
  #refusedInTransaction(request: Request): boolean {
    if (this.#transactionSurplus < 0 || request.confirming?.remaining !== -1) return false;
    request.fail(
      new TypeError(
        `${request.confirming.kind.toUpperCase()} inside MULTI must name its channels: without names its confirmations cannot be matched`,
      ),
    );
    return true;
  }

  /** Replies nobody asked for are expected: MONITOR lines, or RESP2 pub/sub while subscribed. */
  #expectsUnasked(): boolean {
    return (
      this.#monitoring ||
      (!this.#resp3 && (this.#subscribesInFlight > 0 || this.#subscriptions.total > 0))
    );
  }

  /** What a settled command changes: RESET and HELLO switch the protocol, EXEC may subscribe. */
  #noteSettled(head: Request, reply: Reply): void {
    switch (head.kind) {
      case CommandKind.Exec:
        this.#subscriptions.applyNested(reply, (item) =>
          item instanceof Push ? item.values : !this.#resp3 && Array.isArray(item) ? item : null,
        );
        break;
      case CommandKind.Reset:
        if (reply === 'RESET') {
          this.#subscriptions = new SubscriptionTracker();
          this.#monitoring = false;
          this.#transactionSurplus = -1;
          this.#resp3 = false;
        }
        break;
      case CommandKind.Hello: {
        const protocol = helloProtocol(reply);
        if (protocol !== 0) this.#resp3 = protocol === 3;
      }
    }
  }

  /**
   * EXEC of a transaction that queued a subscribe command naming several channels: the server
   * counts that command as one element of EXEC's array but writes one confirmation per channel,
   * so the frames after the array still belong to it.
   */
  #execPart(head: Request, confirming: Confirming, reply: Reply): void {
    if (confirming.parts == null) {
      if (!Array.isArray(reply)) {
        // Aborted (null) or refused (EXECABORT): nothing ran, nothing follows.
        this.#settleHead(head, reply);
        return;
      }
      confirming.parts = reply;
      return;
    }
    confirming.parts.push(reply);
    if (--confirming.remaining === 0) this.#settleHead(head, confirming.parts);
  }

  /**
   * Redis 7.0 writes a push made while EXEC runs (a message published to a channel this
   * connection holds, an invalidation) inside EXEC's array, where it takes the place of a
   * command's reply, which then follows the array. The push goes to the listeners; the replies
   * after the array complete EXEC's.
   */
  #execWithPushes(head: Request, reply: Reply[]): boolean {
    if (head.confirming?.parts != null) return false;
    let strays = 0;
    for (const item of reply)
      if (item instanceof Push && confirmationKind(item.values) === '') strays++;
    if (strays === 0) return false;
    const kept = reply.filter(
      (item) => !(item instanceof Push) || confirmationKind(item.values) !== '',
    );
    for (const item of reply) if (!kept.includes(item)) this.#notifyPush(item as Push);
    const remaining = (head.confirming?.remaining ?? 0) + strays;
    head.confirming = { kind: 'exec', remaining, parts: kept };
    return true;
  }

  #settleHead(head: Request, reply: Reply): void {
    if (head.wire !== null && reply instanceof ReplyError)
      reply = redactError(String(head.wire[0]), head.wire.slice(1), reply) as ReplyError;
    this.#shiftHead(head);
    head.complete(reply);
    if (head.kind !== CommandKind.Plain) this.#noteSettled(head, reply);
    this.#afterHeadSettled();
  }

  /** Takes the head off the written queue. */
  #shiftHead(head: Request): void {
    this.#written.shift();
    if (head.kind === CommandKind.Plain) return;
    if (head.kind === CommandKind.Subscribe) this.#subscribesInFlight--;
    // A blocking head armed the deadline with its own timeout; the next head needs a fresh one.
    if (head.blockingMs !== 0) {
      this.#deadlineTimer?.clear();
      this.#deadlineTimer = undefined;
    }
  }

  #waitForDrain(): void {
    this.#draining = true;
    if (this.#writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(
        () =>
          this.#fail(
            new TimeoutError(`write did not drain within ${this.#writeTimeoutMs} ms`),
            'write timed out',
          ),
        Math.min(this.#writeTimeoutMs, 2 ** 31 - 1),
      );
    }
    this.#socket.once('drain', () => {
      clearTimeout(this.#writeTimer);
      this.#draining = false;
      this.#progressAt = Date.now();
      this.#wakeFlushers();
      this.#write();
    });
  }

  #wakeFlushers(): void {
    this.#drained = null;
    this.#wakeDrained();
  }

  /** A command was written to an empty queue: the read deadline counts from now. */
  #startAwaiting(): void {
    this.#progressAt = Date.now();
    this.#armDeadline();
    if (this.#readingPaused) this.#updateReading();
  }

  #armDeadline(): void {
    if (this.#readTimeoutMs === 0 || this.#deadlineTimer !== undefined) return;
    this.#deadlineTimer = new LongTimer(this.#readTimeoutMs, () => this.#checkDeadline(), true);
  }

  /** One lazy timer: it re-arms for the time left instead of being reset on every reply. */
  #checkDeadline(): void {
    this.#deadlineTimer = undefined;
    const head = this.#written.peek();
    if (head === undefined || this.#fatal !== null) return;
    // While the socket cannot take more, the server may still be reading the request: the
    // deadline counts from the end of the write (writeTimeoutMs guards the write itself).
    if (this.#draining) {
      this.#armDeadline();
      return;
    }
    // A blocking command with timeout 0 may wait for ever; the next head re-arms the timer.
    if (head.blockingMs < 0) return;
    const allowedMs = this.#readTimeoutMs + head.blockingMs;
    const idleMs = Date.now() - this.#progressAt;
    if (idleMs >= allowedMs) {
      this.#fail(
        new TimeoutError(`no reply within ${allowedMs} ms`),
        `no reply from the server within ${allowedMs} ms (readTimeoutMs)`,
        'ERR_READ_TIMEOUT',
      );
      return;
    }
    this.#deadlineTimer = new LongTimer(allowedMs - idleMs, () => this.#checkDeadline(), true);
  }

  #onReply(reply: Reply): void {
    this.#repliesRead++;
    const head = this.#written.peek();
    if (head === undefined) {
      this.#unasked(reply);
      return;
    }
    const confirming = head.confirming;
    if (head.kind === CommandKind.Exec && this.#resp3 && Array.isArray(reply)) {
      if (this.#execWithPushes(head, reply)) return;
    }
    // After EXEC's array, a RESP2 message is still a message; other frames belong to EXEC.
    if (
      confirming !== null &&
      head.kind === CommandKind.Exec &&
      !(confirming.parts != null && !this.#resp3 && isMessage(reply))
    ) {
      this.#execPart(head, confirming, reply);
      return;
    }
    if (this.#monitoring && typeof reply === 'string' && isMonitorLine(reply)) {
      this.#unasked(reply);
      return;
    }
    if (
      !this.#resp3 &&
      (confirming !== null || this.#expectsUnasked()) &&
      this.#routeResp2PubSub(head, reply)
    )
      return;
    this.#settleHead(head, reply);
  }

  /** RESP2 pub/sub frames are ordinary arrays: messages and confirmations go to receive(). */
  #routeResp2PubSub(head: Request, reply: Reply): boolean {
    if (isMessage(reply)) {
      this.#unasked(reply);
      return true;
    }
    const kind = Array.isArray(reply) ? confirmationKind(reply) : '';
    if (kind === '') return false;
    // Into the stream first: the confirmation may end the subscribed state.
    this.#toOwner(reply);
    this.#confirmation(head, kind, (reply as Reply[])[2] ?? null);
    return true;
  }

  #onPush(push: Push): void {
    const head = this.#written.peek();
    // A confirmation frame written past the end of EXEC's array is part of EXEC's reply.
    const kind = confirmationKind(push.values);
    if (head?.confirming?.parts != null && kind !== '') {
      this.#execPart(head, head.confirming, push);
      return;
    }
    if (kind !== '') this.#confirmation(head, kind, push.values[2] ?? null);
    this.#notifyPush(push);
  }

  #notifyPush(push: Push): void {
    for (const listener of this.#pushListeners) {
      try {
        listener(push);
      } catch (error) {
        // A listener's bug must not break the reply stream; surface it as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** A subscription confirmation: it counts towards the head when the head is its command. */
  #confirmation(head: Request | undefined, kind: string, count: Reply): void {
    const confirming = head?.confirming;
    if (head !== undefined && confirming != null && confirming.kind === kind) {
      if (confirming.remaining < 0) confirming.remaining = this.#subscriptions.expectedForAll(kind);
      if (--confirming.remaining === 0) {
        this.#shiftHead(head);
        head.confirm();
        this.#subscriptions.apply(kind, count);
        this.#afterHeadSettled();
        return;
      }
    }
    this.#subscriptions.apply(kind, count);
  }

  #afterHeadSettled(): void {
    if (this.#written.length > 0) {
      if (this.#deadlineTimer === undefined) this.#armDeadline();
      return;
    }
    if (this.#pausedForBuffer || this.#pausedByConsumer) this.#updateReading();
    if (this.#closing !== null && this.#settledAll()) this.#finishClose();
  }

  /** A reply with no command waiting: data on a MONITOR or RESP2 pub/sub connection, else a fault. */
  #unasked(reply: Reply): void {
    if (!this.#expectsUnasked()) {
      throw new ProtocolError(
        'the server sent a reply no command was waiting for',
        this.#bytesRead,
      );
    }
    this.#toOwner(reply);
  }

  /** Adds a reply to the owner's stream, pausing reading when too many are unread. */
  #toOwner(reply: Reply): void {
    this.#owner.push(reply);
    if (this.#owner.buffered > this.#maxBufferedReplies && !this.#pausedForBuffer) {
      this.#pausedForBuffer = true;
      this.#updateReading();
    }
  }

  #resumeIfBelowLimit(): void {
    if (this.#pausedForBuffer && this.#owner.buffered <= this.#maxBufferedReplies / 2) {
      this.#pausedForBuffer = false;
      this.#updateReading();
    }
  }

  /** Reading pauses only while nothing is awaited: a reply a caller waits for is never held back. */
  #updateReading(): void {
    const pause =
      (this.#pausedForBuffer || this.#pausedByConsumer) &&
      this.#written.length === 0 &&
      this.#fatal === null;
    if (pause === this.#readingPaused) return;
    this.#readingPaused = pause;
    if (pause) this.#socket.pause();
    else this.#socket.resume();
  }

  /** Pings an idle connection; no answer within `intervalMs` means the peer is gone. */
  #keepAlive(intervalMs: number): void {
    if (this.#fatal !== null || this.#closing !== null || this.#monitoring) return;
    // Inside MULTI a PING would be queued into the caller's transaction.
    if (this.#transactionSurplus >= 0) return;
    const idle = this.#written.length === 0 && this.#unwritten.length === 0;
    if (!idle || Date.now() - this.#progressAt < intervalMs) return;
    // Apart from the owner's sends, so it never collects their replies.
    this.#call({ timeoutMs: intervalMs }, 'PING', [], true).catch((error: unknown) => {
      if (TimeoutError.is(error))
        this.#fail(error, `keep-alive PING got no answer within ${intervalMs} ms`);
    });
  }

  #settledAll(): boolean {
    return this.#written.length === 0 && this.#unwritten.length === 0;
  }

  #finishClose(): void {
    this.#fail(undefined, 'connection closed', 'ERR_CLOSED');
  }

  #fail(cause: unknown, message: string, code?: string): void {
    if (this.#fatal !== null) return;
    const notSent = new ConnectionError(message, { cause, code: code ?? 'ERR_CONNECTION' });
    const sent = new ConnectionError(message, {
      cause,
      code: code ?? 'ERR_CONNECTION',
      sent: true,
    });
    this.#fatal = notSent;
    clearInterval(this.#keepAliveTimer);
    clearTimeout(this.#writeTimer);
    this.#deadlineTimer?.clear();
    this.#disarmClose();
    this.#socket.destroy();
    for (const request of this.#written.drain()) request.fail(sent);
    const unwritten = this.#unwritten;
    this.#unwritten = [];
    for (const request of unwritten) request.fail(notSent);
    // Replies that already arrived stay readable: receive() returns them before it rejects.
    this.#owner.fail(notSent);
    this.#wakeFlushers();
  }
}

/** The protocol a HELLO reply reports (its `proto` field), or 0 when it is not one. */
function helloProtocol(reply: Reply): number {
  const entries: [Reply, Reply][] = [];
  if (reply instanceof Map) entries.push(...reply.entries());
  else if (Array.isArray(reply))
    for (let index = 0; index + 1 < reply.length; index += 2)
      entries.push([reply[index]!, reply[index + 1]!]);
  for (const [key, value] of entries)
    if (String(key) === 'proto' && (value === 2 || value === 3)) return value;
  return 0;
}

/** A MONITOR line: `1700000000.123456 [0 127.0.0.1:50000] "GET" "key"`. */
function isMonitorLine(text: string): boolean {
  return /^\d+\.\d+ \[\d+ /.test(text);
}
