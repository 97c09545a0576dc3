import { setTimeout as sleep } from 'node:timers/promises';
import {
  __internal,
  type CallOptions,
  type Connection,
  ConnectionError,
  type Pipeline,
  TimeoutError,
} from '@x/conn';
import type { PooledConn } from '@x/pool';
import { type Arg, type Push, type Reply, ReplyError } from '@x/resp';
import { CacheNeedsResp3Error, ClientCache } from './cache/client-cache.js';
import { FencedCall } from './cache/fenced-call.js';
import { type ClientCallOptions, type ClientSettings, reconnectDelayMs } from './client-options.js';
import { answersPing, attemptFailure } from './connect-outcome.js';
import { notConnectedError, OfflineQueueFullError } from './errors.js';
import { ExclusivePool } from './exclusive-pool.js';
import { OfflineQueue } from './offline-queue.js';
import { refusalOnShared } from './shared-commands.js';
import { type ClientStatus, type StatusEvent, StatusListeners } from './status-events.js';

/** The key of Client's internal call with recovery; see `callRecovering`. */
export const recoveringCall = Symbol('@x/client recovering call');

const {
  acceptsRequests,
  armCallOptions,
  checkCallOptions,
  ConnPipeline,
  hasCallLimits,
  newRequest,
  RequestState,
  submitRequest,
  traceSourceOf,
} = __internal;
type Request = __internal.Request;
type CarryOver = __internal.CarryOver;

/**
 * Client is one long-lived, shared Redis client for a whole application: a single multiplexed,
 * automatically pipelined Connection that is dialled again, handshake and all, whenever it fails.
 *
 *   connecting ──connected──► ready ──connection lost──► reconnecting ──connected──► ready
 *        └──────────────── close() / destroy() ──────────────────────────────────► closed
 *
 * A call made while there is no connection waits for the next one (in order, within its own
 * limits, `offlineWaitMs` and `maxOfflineCommands`). A call whose command was written when the
 * connection failed rejects with ConnectionError (`sent: true`) and is never sent again unless
 * marked `idempotent`: at most once. Commands that need a connection of their own go through
 * `exclusive()`.
 */
export class Client {
  readonly #settings: ClientSettings;
  readonly #dial: (signal: AbortSignal) => Promise<Connection>;
  #status: ClientStatus = 'connecting';
  #conn: Connection | null = null;
  /** Requests waiting for a connection, in send order, each within offlineWaitMs. */
  readonly #waiting: OfflineQueue<Request>;
  /** Sends left for requests marked idempotent. */
  readonly #retriesLeft = new WeakMap<Request, number>();
  readonly #carryOver: CarryOver = (request, error) => this.#takeBack(request, error);
  readonly #maxArgBytes: number | undefined;
  #failures = 0;
  #lastError: unknown;
  /** The server's refusal of the last handshake: calls fail fast with it until one succeeds. */
  #refusedBy: ConnectionError | null = null;
  /** Aborts the dial in progress and the wait before the next one. */
  readonly #stopDialling = new AbortController();
  #connectedAt = 0;
  /** What new calls reject with once close() or destroy() ran. */
  #stopped: ConnectionError | null = null;
  /**
   * No connection will be dialled again: destroy(), or close() past the wait for calls already
   * issued. Until then a closing client still reconnects for the calls it owes.
   */
  #finished = false;
  #closing: Promise<void> | null = null;
  /** Wakes close() while it waits for a connection or for waiting calls to finish. */
  #wake: (() => void) | null = null;
  readonly #exclusive: ExclusivePool;
  /** A loss noticed while the connection is failing, handled once it has failed every request. */
  #lossNoticed = false;
  readonly #optionsChecked: boolean;
  /** The readiness PING's limit: connectTimeoutMs, so that it holds with readTimeoutMs off. */
  readonly #pingTimeoutMs: number;
  readonly #statusListeners = new StatusListeners();
  readonly #pushListeners = new Map<(push: Push) => void, () => void>();
  readonly #cache: ClientCache;

  /** Use createClient(). */
  constructor(
    dialConnection: (signal: AbortSignal) => Promise<Connection>,
    settings: ClientSettings,
    /** True when dialConnection is dial() with checked options, not a caller's dial function. */
    optionsChecked: boolean,
  ) {
    this.#dial = dialConnection;
    this.#settings = settings;
    this.#optionsChecked = optionsChecked;
    this.#maxArgBytes = settings.dialOptions.maxArgBytes;
    this.#pingTimeoutMs = settings.dialOptions.connectTimeoutMs ?? 10_000;
    this.#waiting = new OfflineQueue(settings.offlineWaitMs, (expired) => this.#expired(expired));
    this.#cache = new ClientCache(settings.cache, {
      waitRefusal: () => (this.#finished ? this.#stopped : this.#refusedBy),
      lastError: () => this.#lastError,
      waitingCalls: () => this.#waiting.size,
      drained: () => this.#wake?.(),
      offlineWaitMs: settings.offlineWaitMs,
      maxOfflineCommands: settings.maxOfflineCommands,
      retries: settings.idempotentRetries,
      maxArgBytes: this.#maxArgBytes,
    });
    this.#exclusive = new ExclusivePool(
      settings.exclusive,
      (signal) => this.#dial(AbortSignal.any([signal, this.#stopDialling.signal])),
      () => this.#wake?.(),
    );
    void this.#connect(0);
  }

  /** Where the client is now. */
  get status(): ClientStatus {
    return this.#status;
  }

  /**
   * Client-side caching (with the `cache` option and `protocol: 3`): `client.cache.do('GET', k)`
   * answers from memory while the server has not said that `k` changed.
   */
  get cache(): ClientCache {
    return this.#cache;
  }

  /** Runs a command on the shared connection; waits for a connection when there is none. */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(undefined, command, args);
  }

  /** `do` with a signal, a time limit for the whole call, and/or `idempotent`. */
  doWith(options: ClientCallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(options, command, args);
  }

  /** Redigo's DoWithTimeout: `do` that rejects with TimeoutError after `timeoutMs`. */
  doWithTimeout(timeoutMs: number, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call({ timeoutMs }, command, args);
  }

  /**
   * A private queue of commands and replies, as a Connection's pipeline. Its commands are issued
   * as they are sent, and follow the client's rules one by one: a connection lost between two of
   * them fails the written ones and sends the rest on the next connection.
   */
  pipeline(): Pipeline {
    return new ConnPipeline(
      (command, args) => this.#call(undefined, command, args),
      () => this.#conn?.flush() ?? Promise.resolve(),
    );
  }

  /**
   * Lends a connection of its own to `work` (WATCH/MULTI/EXEC, blocking commands, SELECT) from
   * a pool dialled like the shared connection, and takes it back, clean, when `work` settles.
   */
  async exclusive<T>(
    work: (conn: PooledConn) => T | Promise<T>,
    options?: CallOptions,
  ): Promise<T> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) throw invalid;
    if (this.#stopped !== null) throw this.#stopped;
    if (!this.#cache.enabled) return this.#exclusive.use(work, options);
    const deadline =
      options?.timeoutMs === undefined || options.timeoutMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : performance.now() + options.timeoutMs;
    try {
      return await this.#exclusive.use(work, options);
    } finally {
      await this.#cacheSeesOtherWrites(deadline, options?.signal);
    }
  }

  /**
   * Writes made on another connection reach the cache as invalidations on the shared one, which
   * may still be on their way when the writer's reply is read: one round trip on the shared
   * connection brings every invalidation the server sent before it. When it cannot be had within
   * the caller's limits (or the connection fails), the cache is dropped whole instead.
   */
  async #cacheSeesOtherWrites(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const conn = this.#conn;
    if (conn === null || !this.#cache.holdsAnything) return;
    const leftMs = deadline - performance.now();
    if (leftMs <= 0 || signal?.aborted) {
      this.#cache.clear();
      return;
    }
    if (!acceptsRequests(conn)) {
      this.#cache.clear();
      return;
    }
    const ping = newRequest('PING', [], undefined, traceSourceOf(conn));
    const answered = ping.promise();
    const limits: CallOptions = {};
    if (signal !== undefined) limits.signal = signal;
    if (leftMs !== Number.POSITIVE_INFINITY) limits.timeoutMs = Math.ceil(leftMs);
    const disarm = hasCallLimits(limits)
      ? armCallOptions(limits, (error) => ping.abandon(error))
      : () => {};
    if (!submitRequest(conn, ping)) {
      disarm();
      this.#cache.clear();
      return;
    }
    await answered.then(
      () => {},
      () => this.#cache.clear(),
    );
    disarm();
  }

  /**
   * Listens for RESP3 push frames (with `protocol: 3`) on every connection the client makes;
   * returns the function that stops listening.
   */
  onPush(listener: (push: Push) => void): () => void {
    checkListener(listener);
    if (!this.#pushListeners.has(listener))
      this.#pushListeners.set(listener, this.#conn?.onPush(listener) ?? (() => {}));
    return () => {
      this.#pushListeners.get(listener)?.();
      this.#pushListeners.delete(listener);
    };
  }

  /**
   * Calls `listener` on every change of status and on every failed connection attempt; returns
   * the function that stops listening. Nothing is thrown or emitted when nobody listens.
   */
  onStatus(listener: (event: StatusEvent) => void): () => void {
    checkListener(listener);
    return this.#statusListeners.add(listener);
  }

  /**
   * Closes gracefully: new calls are refused; calls already issued finish (those waiting for a
   * connection keep waiting within their limits, exclusive() work runs to its end), then the
   * connection and the exclusive pool close. Resolves when they have. When `options.timeoutMs` passes or `options.signal` aborts
   * first, the client is destroyed: what is still pending rejects.
   */
  close(options?: CallOptions): Promise<void> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (this.#closing !== null) return this.#closing;
    this.#stop(new ConnectionError('client closed', { code: 'ERR_CLOSED' }));
    const disarm =
      options !== undefined && hasCallLimits(options)
        ? armCallOptions(options, (error) => this.destroy(error), 'close')
        : () => {};
    this.#closing = this.#closeGracefully().finally(disarm);
    return this.#closing;
  }

  /**
   * `await using client = createClient(...)` closes the client when the block ends: `close()`,
   * graceful (calls already issued finish first).
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes at once: every pending call rejects with ConnectionError whose cause is `reason`. */
  destroy(reason?: unknown): void {
    const destroyed = new ConnectionError('client destroyed', {
      cause: reason,
      code: 'ERR_DESTROYED',
    });
    this.#stop(destroyed);
    this.#finished = true;
    this.#stopDialling.abort(destroyed);
    this.#failWaiting(destroyed);
    this.#cache.finish(destroyed);
    this.#conn?.destroy(reason);
    // Exclusive work rejects too: its connections go with the client.
    this.#exclusive.destroy(reason);
    this.#closing ??= Promise.resolve();
    this.#wake?.();
  }

  /** @internal For @x/cluster: `doWith`, whose failures go to `recover` (see Request.recover). */
  [recoveringCall](
    options: ClientCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    recover: __internal.Recover,
  ): Promise<Reply> {
    return this.#call(options, command, args, recover);
  }

  #call(
    options: ClientCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    recover?: __internal.Recover,
  ): Promise<Reply> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (options?.idempotent !== undefined && typeof options.idempotent !== 'boolean')
      return Promise.reject(
        new TypeError(`idempotent must be true or false, got ${typeof options.idempotent}`),
      );
    if (this.#stopped !== null) return Promise.reject(this.#stopped);
    let request: Request;
    try {
      if (typeof command !== 'string')
        throw new TypeError(`the command name must be a string, got ${typeof command}`);
      const refusal = refusalOnShared(command, args);
      if (refusal !== null) throw refusal;
      request = newRequest(
        command,
        args,
        this.#maxArgBytes,
        this.#conn === null ? null : traceSourceOf(this.#conn),
      );
    } catch (error) {
      return Promise.reject(error);
    }
    const fenced = this.#cache.enabled && this.#cache.beforeSend(command, args);
    // The request itself moves to the next connection if this one fails first: no wrapper
    // promise, no per-call closure on the hot path.
    request.carryOver = this.#carryOver;
    if (recover !== undefined) request.recover = recover;
    if (options?.idempotent === true && this.#settings.idempotentRetries > 0) {
      request.keepsWire = true;
      this.#retriesLeft.set(request, this.#settings.idempotentRetries);
    }
    if (fenced) return this.#callFenced(request, options);
    const promise = request.promise();
    if (options !== undefined && hasCallLimits(options)) {
      // Armed once, here: the time limit covers waiting, sending and any retry together.
      const disarm = armCallOptions(options, (error) => this.#abandon(request, error, options));
      if (request.state === RequestState.Settled) return promise;
      request.onSettle(disarm);
    }
    const conn = this.#conn;
    if (conn === null || !submitRequest(conn, request)) this.#wait(request);
    return promise;
  }

  /** A script's call while the cache holds something: see FencedCall. */
  #callFenced(request: Request, options: ClientCallOptions | undefined): Promise<Reply> {
    const call = new FencedCall(request, () => this.#cache.clear());
    call.arm(options, (error) => this.#abandon(request, error, options!));
    if (request.state === RequestState.Settled) return call.promise;
    const conn = this.#conn;
    if (conn === null || !submitRequest(conn, request)) {
      // Sent on a later connection, whose cache starts empty: nothing to fence.
      call.unfenced();
      this.#wait(request);
      return call.promise;
    }
    // In the same synchronous step as the script: the connection still takes requests.
    const ping = newRequest('PING', [], undefined, traceSourceOf(conn));
    call.fenceWith(ping);
    if (!submitRequest(conn, ping)) call.unfenced();
    return call.promise;
  }

  /** Takes back a request its connection failed before answering; false lets it fail. */
  #takeBack(request: Request, error: unknown): boolean {
    if (this.#finished) return false;
    if (ConnectionError.is(error) && error.sent) {
      const left = this.#retriesLeft.get(request) ?? 0;
      if (left === 0) return false;
      this.#retriesLeft.set(request, left - 1);
      this.#waiting.markWritten(request);
    }
    this.#wait(request, true);
    // Called while the connection fails its requests: handle the loss once it has failed them
    // all, so that calls made from status listeners queue behind every one carried over.
    const conn = this.#conn;
    if (conn !== null && conn.err() !== null) this.#cache.lost(conn);
    if (conn !== null && conn.err() !== null && !this.#lossNoticed) {
      this.#lossNoticed = true;
      queueMicrotask(() => this.#lost(conn));
    }
    return true;
  }

  /**
   * Queues a request until there is a connection, within its limits and the client's. One
   * `carried` over from a failed connection was issued already: maxOfflineCommands, which holds
   * back new calls, does not turn it away.
   */
  #wait(request: Request, carried = false): void {
    const limit = this.#settings.maxOfflineCommands;
    const refusal = this.#finished
      ? this.#stopped
      : (this.#refusedBy ??
        (!carried && this.#waiting.size + this.#cache.waitingReads >= limit
          ? new OfflineQueueFullError(limit, this.#lastError)
          : null));
    if (refusal !== null) this.#failWith(request, refusal);
    else if (!this.#waiting.add(request)) this.#expired([request]);
  }

  /** Fails a request that is not waiting; says `sent: true` when it was written once. */
  #failWith(request: Request, error: unknown): void {
    request.fail(this.#waiting.wasWritten(request) ? asSent(error) : error);
  }

  /** Requests whose offlineWaitMs ran out. */
  #expired(requests: Request[]): void {
    const expired = notConnectedError(this.#settings.offlineWaitMs, this.#lastError);
    for (const request of requests) this.#failWith(request, expired);
    if (this.#waiting.size === 0) this.#wake?.();
  }

  /** The caller gave up (time limit, signal): reject now, and leave the queue if waiting. */
  #abandon(request: Request, error: unknown, options: ClientCallOptions): void {
    const waiting = this.#waiting.remove(request);
    request.abandon(
      waiting && TimeoutError.is(error)
        ? new TimeoutError(
            `no reply within ${options.timeoutMs} ms (the client was waiting for a connection)`,
          )
        : error,
    );
    if (waiting && this.#waiting.size === 0) this.#wake?.();
  }

  /** Fails every waiting request with `error`. */
  #failWaiting(error: unknown): void {
    for (const request of this.#waiting.takeAll()) this.#failWith(request, error);
    this.#wake?.();
  }

  /** Dials until a connection is up, the client stops, or the options cannot work. */
  async #connect(firstDelayMs: number): Promise<void> {
    const signal = this.#stopDialling.signal;
    let delayMs = firstDelayMs;
    for (;;) {
      // Ends early, without an error, when the client stops.
      if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => {});
      if (signal.aborted) return;
      let conn: Connection | undefined;
      try {
        conn = await this.#dial(signal);
        // Ready means the server answers: a stopped server still accepts TCP connections.
        await conn
          .doWith({ signal, timeoutMs: this.#pingTimeoutMs }, 'PING')
          .catch((error: unknown) => {
            if (!ReplyError.is(error) || !answersPing(error)) throw error;
          });
        await this.#cache.track(conn, signal, this.#pingTimeoutMs);
        // The connection may have failed in the same read that brought PONG.
        const failed = conn.err();
        if (failed !== null) throw failed;
      } catch (error) {
        conn?.destroy(error);
        if (signal.aborted) return;
        const failure =
          error instanceof CacheNeedsResp3Error
            ? 'unusable'
            : attemptFailure(error, this.#optionsChecked);
        if (failure === 'unusable') {
          this.#cannotConnect(error as Error);
          return;
        }
        this.#failures++;
        this.#lastError = error;
        if (failure === 'refused') this.#refused(error as ReplyError);
        delayMs = reconnectDelayMs(this.#failures, this.#settings);
        // A closing client that dials for the calls it owes stays quiet: 'closed' was its last word.
        if (this.#stopped === null)
          this.#statusListeners.emit(this.#status, this.#failures, error, delayMs);
        continue;
      }
      if (signal.aborted) {
        conn.destroy(signal.reason);
        return;
      }
      this.#adopt(conn);
      return;
    }
  }

  /**
   * A new connection: waiting calls go out on it first, in the order they came, before status
   * listeners hear of it (a call a listener makes goes after them).
   */
  #adopt(conn: Connection): void {
    this.#conn = conn;
    this.#lossNoticed = false;
    this.#connectedAt = performance.now();
    this.#refusedBy = null;
    this.#lastError = undefined;
    for (const [listener] of this.#pushListeners)
      this.#pushListeners.set(listener, conn.onPush(listener));
    void conn.closed.then(() => this.#lost(conn));
    for (const request of this.#waiting.takeAll())
      if (!submitRequest(conn, request)) this.#wait(request);
    this.#cache.connected(conn);
    this.#wake?.();
    if (this.#stopped === null) this.#setStatus('ready');
  }

  /** The connection failed (or closed): dial again, at once if it had lived a while. */
  #lost(conn: Connection): void {
    this.#cache.lost(conn);
    if (conn !== this.#conn) return;
    this.#conn = null;
    this.#wake?.();
    // Closing: dial again only for calls issued before close() that wait for a connection.
    if (
      this.#finished ||
      (this.#stopped !== null && this.#waiting.size === 0 && this.#cache.waitingReads === 0)
    )
      return;
    const livedMs = performance.now() - this.#connectedAt;
    if (livedMs >= this.#settings.maxDelayMs) this.#failures = 0;
    else this.#failures++;
    this.#lastError = conn.err();
    const delayMs = reconnectDelayMs(this.#failures, this.#settings);
    // A closing client stays 'closed' while it dials for the calls it owes.
    if (this.#stopped === null) this.#setStatus('reconnecting', this.#lastError, delayMs);
    void this.#connect(delayMs);
  }

  /** The server refused the handshake (wrong password, unknown database): tell every caller. */
  #refused(error: ReplyError): void {
    this.#refusedBy = new ConnectionError(
      `the server refused the connection's handshake: ${error.message}`,
      { cause: error, code: 'ERR_HANDSHAKE' },
    );
    this.#failWaiting(this.#refusedBy);
    this.#cache.failWaiting(this.#refusedBy);
  }

  /** The options cannot work: stop for good. */
  #cannotConnect(error: Error): void {
    const stopped = new ConnectionError(`the client cannot connect: ${error.message}`, {
      cause: error,
      code: 'ERR_DIAL_OPTIONS',
    });
    this.#lastError = error;
    this.#stop(stopped);
    this.#finished = true;
    this.#closing ??= Promise.resolve();
    this.#failWaiting(stopped);
    this.#cache.finish(stopped);
  }

  #stop(reason: ConnectionError): void {
    if (this.#stopped !== null) return;
    this.#stopped = reason;
    this.#cache.stop(reason);
    this.#setStatus('closed', this.#lastError);
  }

  async #closeGracefully(): Promise<void> {
    // Calls waiting for a connection are already issued: let them have one, within their limits;
    // exclusive() work under way runs to its end.
    while (
      !this.#finished &&
      (((this.#waiting.size > 0 || this.#cache.waitingReads > 0) &&
        (this.#conn === null || this.#conn.err() !== null)) ||
        this.#exclusive.borrowers > 0)
    )
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    this.#wake = null;
    this.#finished = true;
    this.#stopDialling.abort(this.#stopped);
    this.#cache.finish(this.#stopped);
    await Promise.all([this.#conn?.close(), this.#exclusive.close()]);
  }

  #setStatus(status: ClientStatus, error?: unknown, retryInMs?: number): void {
    this.#status = status;
    this.#statusListeners.emit(status, this.#failures, error, retryInMs);
  }
}

/** The same failure for a request that was written once: it may have run. */
function asSent(error: unknown): unknown {
  if (!ConnectionError.is(error) || error.sent) return error;
  return new ConnectionError(error.message.replace(/: the command was not sent$/, ''), {
    cause: error.cause,
    code: error.code,
    sent: true,
  });
}

function checkListener(listener: unknown): void {
  if (typeof listener !== 'function')
    throw new TypeError(
      `a listener must be a function, got ${listener === null ? 'null' : typeof listener}`,
    );
}
