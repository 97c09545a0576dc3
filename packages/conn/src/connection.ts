import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import { type Arg, Decoder, type Push, type Reply, type ReplyError } from '@x/resp';
import type { AsyncDisposableConn } from './async-dispose.js';

import { armCallOptions, checkCallOptions, hasCallLimits } from './call-guard.js';
import { Collector, doOutcome } from './collector.js';
import { CommandKind } from './command-kind.js';
import { type ConnOptions, readConnOptions } from './conn-options.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { newRequest } from './new-request.js';
import { OwnerReplies } from './owner-replies.js';
import { ConnPipeline } from './pipeline.js';
import { ReadDeadline } from './read-deadline.js';
import { TransactionWatch } from './redaction.js';
import { ReplyRouter } from './reply-router.js';
import { type Request, RequestState } from './request.js';
import { RequestWriter } from './request-writer.js';
import { LongTimer } from './time-limit.js';
import { TraceSource } from './trace-source.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

let nextConnectionId = 1;

/**
 * Queues a request made with newRequest() on `conn`, for a client that moves requests between
 * connections; false when the connection takes no more commands (failed or closing).
 */
export let submitRequest: (conn: Connection, request: Request) => boolean;

/**
 * Lets a dial factory see every error reply `conn` delivers, after its caller has it: Sentinel's
 * watches for READONLY, the mark of a master demoted under the connection. One watcher per
 * connection; null removes it.
 */
export let watchErrorReplies: (
  conn: Connection,
  watcher: ((reply: ReplyError) => void) | null,
) => void;
/** How `conn` describes itself to traces; dial adds what it asked for. */
export let traceSourceOf: (conn: Connection) => TraceSource;

/**
 * Whether submitRequest would take a request on `conn` now: asked before making requests whose
 * traces would otherwise start for commands never sent.
 */
export let acceptsRequests: (conn: Connection) => boolean;

/** Hands a request to its carryOver, if it has one and it is still unsettled. */
function carriedOver(request: Request, error: unknown, state: number): boolean {
  // A request its caller gave up on is never sent again.
  if (request.carryOver === null || request.abandoned || request.state !== state) return false;
  // A written request goes out again whole: it is unwritten on the next connection.
  request.state = RequestState.Unwritten;
  if (request.carryOver(request, error)) return true;
  request.state = state as typeof request.state;
  return false;
}

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
export class Connection implements Conn, AsyncDisposableConn {
  /** A number that tells connections apart in traces and logs. */
  readonly id = nextConnectionId++;
  readonly #socket: Socket;
  readonly #decoder: Decoder;
  readonly #router: ReplyRouter;
  readonly #closeTimeoutMs: number;
  readonly #maxBufferedReplies: number;
  readonly #maxArgBytes: number | undefined;
  readonly #writer: RequestWriter;
  readonly #owner = new OwnerReplies(
    () => this.#resumeIfBelowLimit(),
    () => this.#router.expectsUnasked() && this.#fatal === null,
  );
  readonly #pushListeners = new Set<(push: Push) => void>();
  /** Which commands a MULTI queued, so that traces redact EXEC's reply element by element. */
  readonly #transaction = new TransactionWatch();
  #fatal: ConnectionError | null = null;
  #closing: ConnectionError | null = null;
  /** Stops close()'s time limit or signal listener. */
  #disarmClose: () => void = () => {};
  #pausedForBuffer = false;
  #pausedByConsumer = false;
  #readingPaused = false;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  readonly #deadline: ReadDeadline;
  #bytesRead = 0;
  readonly #closed: Promise<void>;
  /** See watchErrorReplies. */
  #errorReplyWatcher: ((reply: ReplyError) => void) | null = null;
  readonly #traceSource: TraceSource;

  constructor(socket: Socket, options: ConnOptions = {}) {
    const settings = readConnOptions(options);
    this.#closeTimeoutMs = settings.closeTimeoutMs;
    this.#maxBufferedReplies = settings.maxBufferedReplies;
    this.#maxArgBytes = settings.maxArgBytes;
    const keepAlivePingMs = settings.keepAlivePingMs;
    this.#socket = socket;
    this.#traceSource = new TraceSource(this.id, socket);
    this.#writer = new RequestWriter(socket, settings.writeTimeoutMs, {
      beforeWrite: (request) => {
        if (request.kind !== CommandKind.Plain || this.#router.inTransaction)
          this.#router.refuseInTransaction(request, String(request.wire![0]));
      },
      written: (request) => this.#written(request),
      allWritten: () => {
        if (this.#closing !== null && this.#settledAll()) this.#finishClose();
      },
      drained: () => this.#deadline.drained(),
      timedOut: (writeTimeoutMs) =>
        this.#fail(
          new TimeoutError(`write did not drain within ${writeTimeoutMs} ms`),
          'write timed out',
        ),
    });
    this.#deadline = new ReadDeadline(settings.readTimeoutMs, {
      head: () => this.#router.written.peek(),
      writing: () => this.#writer.draining,
      expired: (allowedMs) =>
        this.#fail(
          new TimeoutError(`no reply within ${allowedMs} ms`),
          `no reply from the server within ${allowedMs} ms (readTimeoutMs)`,
          'ERR_READ_TIMEOUT',
        ),
    });
    this.#router = new ReplyRouter(settings.resp3, {
      toOwner: (reply) => this.#toOwner(reply),
      notifyPush: (push) => this.#notifyPush(push),
      headSettled: (head) => this.#afterHeadSettled(head),
      bytesRead: () => this.#bytesRead,
      errorReply: (reply) => this.#errorReplyWatcher?.(reply),
    });
    this.#decoder = new Decoder({
      ...options.decoder,
      onReply: (reply) => this.#router.onReply(reply),
      onPush: (push) => this.#router.onPush(push),
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
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.#fail(error, `invalid reply from server: ${(error as Error).message}`);
      }
      // Part of a reply that may answer the head is progress; a complete one settled the head
      // (ReadDeadline.headSettled). Push frames, whole or in part, are not an answer, and where
      // replies come unasked (RESP2 pub/sub, MONITOR) a part cannot be told apart from one.
      if (!this.#decoder.idle && !this.#decoder.assemblingPush && !this.#router.unaskedNow())
        this.#deadline.progress();
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
    this.#writer.queue(request);
  }

  /** Writes the output buffer; resolves once the socket has taken all of it. */
  flush(): Promise<void> {
    return this.#writer.flush(() => this.#fatal);
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
    this.#writer.write();
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
    return this.#router.resp3 ? 3 : 2;
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
    this.#writer.write();
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

  /**
   * `await using conn = await dial(...)` closes the connection when the block ends: `close()`,
   * graceful, within `closeTimeoutMs`. It never rejects.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  static {
    watchErrorReplies = (conn, watcher) => {
      conn.#errorReplyWatcher = watcher;
    };
    submitRequest = (conn, request) => {
      if (conn.#refusal() !== null) return false;
      request.retarget(conn.#traceSource.target());
      conn.#writer.queue(request);
      conn.#writer.schedule();
      return true;
    };
    traceSourceOf = (conn) => conn.#traceSource;
    acceptsRequests = (conn) => conn.#refusal() === null;
  }

  [inspect.custom](): string {
    const state =
      this.#fatal !== null
        ? `broken: ${this.#fatal.message}`
        : this.#closing !== null
          ? 'closing'
          : 'open';
    return `Connection { id: ${this.id}, ${state}, inflight: ${this.#router.written.length} }`;
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
    this.#writer.queue(request);
    this.#writer.schedule();
    return promise;
  }

  /** Redigo's Do after sends: read every earlier reply too, and fail with the first error reply. */
  #doAfterSends(request: Request, options: CallOptions | undefined): Promise<Reply> {
    const { arrived, awaiting } = this.#owner.claimAll();
    awaiting.push(request);
    const collector = new Collector(arrived, awaiting);
    this.#writer.queue(request);
    this.#guard(collector, options);
    this.#writer.schedule();
    return collector.promise.then(doOutcome);
  }

  /** do(""): flush and resolve to every owned reply (errors as values), or null with none. */
  #collectOwned(options: CallOptions | undefined): Promise<Reply> {
    if (!this.#owner.owed) return Promise.resolve(null);
    const { arrived, awaiting } = this.#owner.claimAll();
    if (arrived.length === 0 && awaiting.length === 0) return Promise.resolve(null);
    const collector = new Collector(arrived, awaiting);
    this.#guard(collector, options);
    this.#writer.schedule();
    return collector.promise;
  }

  #guard(collector: Collector, options: CallOptions | undefined): void {
    if (!hasCallLimits(options)) return;
    const disarm = armCallOptions(options, (error) => collector.giveUp(error));
    collector.promise.then(disarm, disarm);
  }

  #newRequest(command: string, args: readonly Arg[]): Request {
    return newRequest(command, args, this.#maxArgBytes, this.#traceSource);
  }

  /** A command went to the socket: it now awaits its reply. */
  #written(request: Request): void {
    const execRedaction = this.#transaction.note(request.kind, request.wire ?? []);
    if (execRedaction !== null) request.redactExecWith(execRedaction);
    // A secret command keeps its arguments until settled, to redact the server's echo of them.
    if (
      request.kind !== CommandKind.Secret &&
      request.kind !== CommandKind.Hello &&
      !request.keepsWire
    )
      request.wire = null;
    if (request.kind !== CommandKind.Plain) this.#router.noteWritten(request);
    this.#router.written.push(request);
    if (this.#router.written.length === 1) {
      this.#deadline.start();
      if (this.#readingPaused) this.#updateReading();
    }
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

  #afterHeadSettled(head: Request): void {
    const more = this.#router.written.length > 0;
    this.#deadline.headSettled(head, more);
    if (more) return;
    if (this.#pausedForBuffer || this.#pausedByConsumer) this.#updateReading();
    if (this.#closing !== null && this.#settledAll()) this.#finishClose();
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
      this.#router.written.length === 0 &&
      this.#fatal === null;
    if (pause === this.#readingPaused) return;
    this.#readingPaused = pause;
    if (pause) this.#socket.pause();
    else this.#socket.resume();
  }

  /** Pings an idle connection; no answer within `intervalMs` means the peer is gone. */
  #keepAlive(intervalMs: number): void {
    if (this.#fatal !== null || this.#closing !== null || this.#router.monitoring) return;
    // Inside MULTI a PING would be queued into the caller's transaction.
    if (this.#router.mayBeInTransaction) return;
    const idle = this.#router.written.length === 0 && this.#writer.pending === 0;
    if (!idle || this.#deadline.idleMs < intervalMs) return;
    // Apart from the owner's sends, so it never collects their replies.
    this.#call({ timeoutMs: intervalMs }, 'PING', [], true).catch((error: unknown) => {
      if (TimeoutError.is(error))
        this.#fail(error, `keep-alive PING got no answer within ${intervalMs} ms`);
    });
  }

  #settledAll(): boolean {
    return this.#router.written.length === 0 && this.#writer.pending === 0;
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
    this.#deadline.stop();
    this.#disarmClose();
    this.#socket.destroy();
    for (const request of this.#router.written.drain()) {
      if (!request.keepsWire || !carriedOver(request, sent, RequestState.Written))
        request.fail(sent);
    }
    for (const request of this.#writer.stop())
      if (!carriedOver(request, notSent, RequestState.Unwritten)) request.fail(notSent);
    // Replies that already arrived stay readable: receive() returns them before it rejects.
    this.#owner.fail(notSent);
  }
}
