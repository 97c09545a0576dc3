import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import {
  type Arg,
  CommandEncoder,
  commandToWire,
  Decoder,
  type DecoderOptions,
  ProtocolError,
  Push,
  type Reply,
} from '@x/resp';
import { armCallOptions, hasCallLimits } from './call-guard.js';
import { Collector, doOutcome } from './collector.js';
import { blockingAllowanceMs, CommandKind, commandKind } from './command-kind.js';
import { tracing } from './diagnostics.js';
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
import { LongTimer, readCount, readTimeLimit } from './time-limit.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

/** ConnOptions configures a Connection around a socket that is already connected. */
export interface ConnOptions {
  /** The protocol the connection speaks; with 3, push frames go to push listeners. Default 2. */
  protocol?: 2 | 3;
  /**
   * Fail the connection when a reply is awaited and the server sends nothing for this long; a
   * blocking command (BLPOP, XREAD BLOCK, WAIT, ...) at the head of the queue adds its own
   * timeout, and one with timeout 0 waits for ever. 0 or Infinity turns it off. Default 5,000.
   */
  readTimeoutMs?: number;
  /** Fail the connection when a write cannot drain for this long. Default: none. */
  writeTimeoutMs?: number;
  /** Unread replies (from send, MONITOR, RESP2 pub/sub) above which reading pauses. Default 10,000. */
  maxBufferedReplies?: number;
  /**
   * Send a PING after this long without traffic, and fail the connection when it gets no answer
   * within the same time: finds a dead peer on an idle connection. The timer never keeps the
   * process alive. Default: off.
   */
  keepAlivePingMs?: number;
  /** Longest argument sent; longer ones reject with RangeError. Default 512 MiB, the server's proto-max-bulk-len. */
  maxArgBytes?: number;
  /** How long `close()` waits for replies to commands already issued. Default 10,000. */
  closeTimeoutMs?: number;
  /** Decoder settings: `bulkStringsAs` and the limits. */
  decoder?: Omit<DecoderOptions, 'onReply' | 'onPush' | 'onAttribute'>;
}

/** The default of `readTimeoutMs`: between go-redis's 3 s and StackExchange.Redis's 5 s. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
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
  readonly #resp3: boolean;
  readonly #readTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #maxBufferedReplies: number;
  readonly #maxArgBytes: number | undefined;
  #unwritten: Request[] = [];
  readonly #written = new Queue<Request>();
  readonly #owner = new OwnerReplies(() => this.#resumeIfBelowLimit());
  readonly #subscriptions = new SubscriptionTracker();
  readonly #pushListeners = new Set<(push: Push) => void>();
  /** MONITOR or RESP2 SUBSCRIBE was written: replies with no command are data, not strays. */
  #expectUnasked = false;
  #monitoring = false;
  /** Inside MULTI (as written): confirmation frames beyond one per queued command; -1 outside. */
  #transactionSurplus = -1;
  #fatal: ConnectionError | null = null;
  #closing: ConnectionError | null = null;
  #closeTimer: LongTimer | undefined;
  #flushScheduled = false;
  #draining = false;
  #writeTimer: NodeJS.Timeout | undefined;
  #drained: Promise<void> | null = null;
  #wakeDrained: () => void = () => {};
  #pausedForBuffer = false;
  #pausedByConsumer = false;
  #readingPaused = false;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  /** When the server last sent something, or a command was written to an empty queue. */
  #progressAt = Date.now();
  #deadlineTimer: LongTimer | undefined;
  #bytesRead = 0;
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: ConnOptions = {}) {
    this.#readTimeoutMs = readTimeLimit(
      options.readTimeoutMs,
      'readTimeoutMs',
      DEFAULT_READ_TIMEOUT_MS,
    );
    this.#writeTimeoutMs = readTimeLimit(options.writeTimeoutMs, 'writeTimeoutMs', 0);
    this.#closeTimeoutMs = readTimeLimit(
      options.closeTimeoutMs,
      'closeTimeoutMs',
      DEFAULT_CLOSE_TIMEOUT_MS,
    );
    const keepAlivePingMs = readTimeLimit(options.keepAlivePingMs, 'keepAlivePingMs', 0);
    this.#maxBufferedReplies = readCount(options.maxBufferedReplies, 'maxBufferedReplies', 10_000);
    if (options.maxArgBytes !== undefined) readCount(options.maxArgBytes, 'maxArgBytes', 0);
    if (options.protocol !== undefined && options.protocol !== 2 && options.protocol !== 3)
      throw new RangeError(`protocol must be 2 or 3, got ${String(options.protocol)}`);
    this.#maxArgBytes = options.maxArgBytes;
    this.#socket = socket;
    this.#resp3 = options.protocol === 3;
    this.#decoder = new Decoder({
      ...options.decoder,
      onReply: (reply) => this.#onReply(reply),
      onPush: (push) => this.#onPush(push),
    });
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    if (keepAlivePingMs > 0) {
      this.#keepAliveTimer = setInterval(
        () => this.#keepAlive(keepAlivePingMs),
        Math.min(keepAlivePingMs, 2 ** 31 - 1),
      ).unref();
    }
    socket.on('data', (chunk: Buffer) => {
      this.#progressAt = Date.now();
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.#fail(error, `invalid reply from server: ${(error as Error).message}`);
      }
      this.#bytesRead += chunk.length;
    });
    socket.on('error', (error) => this.#fail(error, `connection failed: ${error.message}`));
    socket.on('close', () => this.#fail(undefined, 'server closed the connection'));
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
    return this.#owner.receive(options, this.#expectUnasked && this.#fatal === null);
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
      armCallOptions(options, giveUp, 'reply before close');
    } else if (this.#closeTimeoutMs > 0) {
      this.#closeTimer = new LongTimer(this.#closeTimeoutMs, () =>
        giveUp(new TimeoutError(`no reply within ${this.#closeTimeoutMs} ms of close()`)),
      );
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
    this.#write();
    return collector.promise.then(doOutcome);
  }

  /** do(""): flush and resolve to every owned reply (errors as values), or null with none. */
  #collectOwned(options: CallOptions | undefined): Promise<Reply> {
    if (!this.#owner.owed) return Promise.resolve(null);
    const { arrived, awaiting } = this.#owner.claimAll();
    const collector = new Collector(arrived, awaiting);
    this.#guard(collector, options);
    this.#write();
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
        this.#encoder.addWire(request.wire!);
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
        this.#expectUnasked = true;
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
        if (request.kind === CommandKind.Subscribe && !this.#resp3) this.#expectUnasked = true;
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

  #settleHead(head: Request, reply: Reply): void {
    this.#written.shift();
    head.complete(reply);
    if (head.kind === CommandKind.Exec) this.#noteExec(reply);
    this.#afterHeadSettled();
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
    const head = this.#written.peek();
    if (head === undefined) {
      this.#unasked(reply);
      return;
    }
    const confirming = head.confirming;
    if (confirming !== null && head.kind === CommandKind.Exec) {
      this.#execPart(head, confirming, reply);
      return;
    }
    if (!this.#resp3 && this.#expectUnasked && this.#routeResp2PubSub(head, reply)) return;
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
    this.#confirmation(head, kind, (reply as Reply[])[2] ?? null);
    this.#unasked(reply);
    return true;
  }

  #onPush(push: Push): void {
    const head = this.#written.peek();
    // A confirmation frame written past the end of EXEC's array is part of EXEC's reply.
    if (head?.confirming?.parts != null) {
      this.#execPart(head, head.confirming, push);
      return;
    }
    const kind = confirmationKind(push.values);
    if (kind !== '') this.#confirmation(head, kind, push.values[2] ?? null);
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
        this.#written.shift();
        head.confirm();
        this.#subscriptions.apply(kind, count);
        this.#afterHeadSettled();
        return;
      }
    }
    this.#subscriptions.apply(kind, count);
  }

  #noteExec(reply: Reply): void {
    const found = this.#subscriptions.applyNested(reply, (item) =>
      item instanceof Push ? item.values : !this.#resp3 && Array.isArray(item) ? item : null,
    );
    if (found && !this.#resp3) this.#expectUnasked = true;
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
    if (!this.#expectUnasked) {
      throw new ProtocolError(
        'the server sent a reply no command was waiting for',
        this.#bytesRead,
      );
    }
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
    const idle = this.#written.length === 0 && this.#unwritten.length === 0;
    if (!idle || Date.now() - this.#progressAt < intervalMs) return;
    this.doWith({ timeoutMs: intervalMs }, 'PING').catch((error: unknown) => {
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
    this.#closeTimer?.clear();
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
