import {
  __internal,
  type CallOptions,
  type Connection,
  ConnectionError,
  type DialFunction,
  dial,
  type Pipeline,
  TimeoutError,
} from '@x/conn';
import { Pool, type PooledConn } from '@x/pool';
import { type Arg, type Push, type Reply, ReplyError } from '@x/resp';
import {
  type ClientCallOptions,
  type ClientOptions,
  type ClientSettings,
  readClientOptions,
  reconnectDelayMs,
} from './client-options.js';
import { OfflineQueueFullError } from './errors.js';
import { refusalOnShared } from './shared-commands.js';

const {
  armCallOptions,
  checkCallOptions,
  ConnPipeline,
  hasCallLimits,
  newRequest,
  RequestState,
  submitRequest,
} = __internal;
type Request = __internal.Request;
type CarryOver = __internal.CarryOver;

// Error replies to the handshake or the first PING that pass by themselves: a server loading its
// data, running a long script, or waiting for its master. Calls keep waiting through them.
const transientRefusals = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN']);

/** Where the client is: its status moves only along these lines. */
export type ClientStatus = 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** StatusEvent tells a listener where the client is, and why when it is not ready. */
export interface StatusEvent {
  readonly status: ClientStatus;
  /** Why the client has no connection: the last failed attempt's error or the lost connection's. */
  readonly error?: unknown;
  /**
   * Failed connection attempts, and connections lost within `maxDelayMs`, in a row; back to 0
   * when a connection that held longer is lost.
   */
  readonly failures: number;
  /** The wait before the next connection attempt, when one is due. */
  readonly retryInMs?: number;
}

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
  /**
   * Requests waiting for a connection, oldest first, with when each began to wait: a Map, so
   * that one whose caller gives up leaves at once.
   */
  readonly #waiting = new Map<Request, number>();
  /** Fails waiting requests after offlineWaitMs; one timer, for the oldest. */
  #waitTimer: NodeJS.Timeout | null = null;
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
  #closing: Promise<void> | null = null;
  /** Wakes close() while it waits for a connection or for waiting calls to finish. */
  #wake: (() => void) | null = null;
  #pool: Pool | null = null;
  readonly #statusListeners = new Set<(event: StatusEvent) => void>();
  readonly #pushListeners = new Map<(push: Push) => void, () => void>();

  /** Use createClient(). */
  constructor(
    dialConnection: (signal: AbortSignal) => Promise<Connection>,
    settings: ClientSettings,
  ) {
    this.#dial = dialConnection;
    this.#settings = settings;
    this.#maxArgBytes = settings.dialOptions.maxArgBytes;
    void this.#connect(0);
  }

  /** Where the client is now. */
  get status(): ClientStatus {
    return this.#status;
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
    this.#pool ??= new Pool({
      ...this.#settings.exclusive,
      dial: ({ signal }) => this.#dial(AbortSignal.any([signal, this.#stopDialling.signal])),
    });
    return this.#pool.use(work, options);
  }

  /**
   * Listens for RESP3 push frames (with `protocol: 3`) on every connection the client makes;
   * returns the function that stops listening.
   */
  onPush(listener: (push: Push) => void): () => void {
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
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * Closes gracefully: new calls are refused; calls already issued finish (those waiting for a
   * connection keep waiting within their limits), then the connection and the exclusive pool
   * close. Resolves when they have. When `options.timeoutMs` passes or `options.signal` aborts
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

  /** Closes at once: every pending call rejects with ConnectionError whose cause is `reason`. */
  destroy(reason?: unknown): void {
    const destroyed = new ConnectionError('client destroyed', {
      cause: reason,
      code: 'ERR_DESTROYED',
    });
    this.#stop(destroyed);
    this.#stopDialling.abort(destroyed);
    this.#failWaiting(destroyed);
    this.#conn?.destroy(reason);
    this.#pool?.close().catch(() => {});
    this.#closing ??= Promise.resolve();
    this.#wake?.();
  }

  #call(
    options: ClientCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (this.#stopped !== null) return Promise.reject(this.#stopped);
    let request: Request;
    try {
      if (typeof command !== 'string')
        throw new TypeError(`the command name must be a string, got ${typeof command}`);
      const refusal = refusalOnShared(command, args);
      if (refusal !== null) throw refusal;
      request = newRequest(command, args, this.#maxArgBytes, this.#conn?.id ?? 0);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = request.promise();
    if (options !== undefined && hasCallLimits(options)) {
      // Armed once, here: the time limit covers waiting, sending and any retry together.
      const disarm = armCallOptions(options, (error) => this.#abandon(request, error, options));
      if (request.state === RequestState.Settled) return promise;
      request.onSettle(disarm);
    }
    // The request itself moves to the next connection if this one fails first: no wrapper
    // promise, no per-call closure on the hot path.
    request.carryOver = this.#carryOver;
    if (options?.idempotent === true && this.#settings.idempotentRetries > 0) {
      request.keepsWire = true;
      this.#retriesLeft.set(request, this.#settings.idempotentRetries);
    }
    const conn = this.#conn;
    if (conn === null || !submitRequest(conn, request)) this.#wait(request);
    return promise;
  }

  /** Takes back a request its connection failed before answering; false lets it fail. */
  #takeBack(request: Request, error: unknown): boolean {
    if (this.#stopped !== null) return false;
    if (ConnectionError.is(error) && error.sent) {
      const left = this.#retriesLeft.get(request) ?? 0;
      if (left === 0) return false;
      this.#retriesLeft.set(request, left - 1);
    }
    // Called while the connection fails: notice the loss now rather than when its socket closes.
    const conn = this.#conn;
    if (conn !== null && conn.err() !== null) this.#lost(conn);
    this.#wait(request);
    return true;
  }

  /** Queues a request until there is a connection, within its limits and the client's. */
  #wait(request: Request): void {
    if (this.#refusedBy !== null) {
      request.fail(this.#refusedBy);
      return;
    }
    const limit = this.#settings.maxOfflineCommands;
    if (this.#waiting.size >= limit) {
      request.fail(new OfflineQueueFullError(limit, this.#lastError));
      return;
    }
    this.#waiting.set(request, performance.now());
    if (this.#waitTimer === null && this.#settings.offlineWaitMs > 0) this.#expireWaiting();
  }

  /** The caller gave up (time limit, signal): reject now, and leave the queue if waiting. */
  #abandon(request: Request, error: unknown, options: ClientCallOptions): void {
    const waiting = this.#waiting.delete(request);
    request.abandon(
      waiting && TimeoutError.is(error)
        ? new TimeoutError(
            `no reply within ${options.timeoutMs} ms (the client was waiting for a connection)`,
          )
        : error,
    );
    if (waiting && this.#waiting.size === 0) this.#afterWaitingEmptied();
  }

  /**
   * Fails the requests that waited `offlineWaitMs`, and sets a timer for the next. They entered
   * the map in time order, so the oldest is first: one timer serves them all.
   */
  #expireWaiting(): void {
    this.#waitTimer = null;
    const { offlineWaitMs } = this.#settings;
    const now = performance.now();
    let expired: ConnectionError | null = null;
    for (const [request, since] of this.#waiting) {
      const dueInMs = since + offlineWaitMs - now;
      if (dueInMs > 0) {
        this.#waitTimer = setTimeout(() => this.#expireWaiting(), Math.ceil(dueInMs));
        return;
      }
      this.#waiting.delete(request);
      expired ??= new ConnectionError(
        `no connection to the server within ${offlineWaitMs} ms (offlineWaitMs): the command was not sent`,
        { cause: this.#lastError, code: 'ERR_NOT_CONNECTED' },
      );
      request.fail(expired);
    }
    this.#afterWaitingEmptied();
  }

  #afterWaitingEmptied(): void {
    if (this.#waitTimer !== null) clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    this.#wake?.();
  }

  /** Fails every waiting request with `error`. */
  #failWaiting(error: unknown): void {
    const waiting = [...this.#waiting.keys()];
    this.#waiting.clear();
    for (const request of waiting) request.fail(error);
    this.#afterWaitingEmptied();
  }

  /** Dials until a connection is up, the client stops, or the options cannot work. */
  async #connect(firstDelayMs: number): Promise<void> {
    const signal = this.#stopDialling.signal;
    let delayMs = firstDelayMs;
    for (;;) {
      if (delayMs > 0) await sleep(delayMs, signal);
      if (signal.aborted) return;
      let conn: Connection | undefined;
      try {
        conn = await this.#dial(signal);
        // Ready means the server answers: a stopped server still accepts TCP connections.
        await conn.doWith({ signal }, 'PING');
      } catch (error) {
        conn?.destroy(error);
        if (signal.aborted) return;
        // A wrong option fails every attempt alike: stop, and say why.
        if (error instanceof TypeError || error instanceof RangeError) {
          this.#cannotConnect(error);
          return;
        }
        this.#failures++;
        this.#lastError = error;
        if (ReplyError.is(error) && !transientRefusals.has(error.code)) this.#refused(error);
        delayMs = reconnectDelayMs(this.#failures, this.#settings);
        this.#emit(this.#status, error, delayMs);
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

  /** A new connection: waiting calls go out on it first, in the order they came. */
  #adopt(conn: Connection): void {
    this.#conn = conn;
    this.#connectedAt = performance.now();
    this.#refusedBy = null;
    this.#lastError = undefined;
    for (const [listener] of this.#pushListeners)
      this.#pushListeners.set(listener, conn.onPush(listener));
    void conn.closed.then(() => this.#lost(conn));
    if (this.#stopped === null) this.#setStatus('ready');
    const waiting = [...this.#waiting.keys()];
    this.#waiting.clear();
    for (const request of waiting) submitRequest(conn, request);
    this.#afterWaitingEmptied();
  }

  /** The connection failed (or closed): dial again, at once if it had lived a while. */
  #lost(conn: Connection): void {
    if (conn !== this.#conn) return;
    this.#conn = null;
    this.#wake?.();
    if (this.#stopped !== null) return;
    const livedMs = performance.now() - this.#connectedAt;
    if (livedMs >= this.#settings.maxDelayMs) this.#failures = 0;
    else this.#failures++;
    this.#lastError = conn.err();
    const delayMs = reconnectDelayMs(this.#failures, this.#settings);
    this.#setStatus('reconnecting', this.#lastError, delayMs);
    void this.#connect(delayMs);
  }

  /** The server refused the handshake (wrong password, unknown database): tell every caller. */
  #refused(error: ReplyError): void {
    this.#refusedBy = new ConnectionError(
      `the server refused the connection's handshake: ${error.message}`,
      { cause: error, code: 'ERR_HANDSHAKE' },
    );
    this.#failWaiting(this.#refusedBy);
  }

  /** The options cannot work: stop for good. */
  #cannotConnect(error: Error): void {
    const stopped = new ConnectionError(`the client cannot connect: ${error.message}`, {
      cause: error,
      code: 'ERR_DIAL_OPTIONS',
    });
    this.#lastError = error;
    this.#stop(stopped);
    this.#closing ??= Promise.resolve();
    this.#failWaiting(stopped);
  }

  #stop(reason: ConnectionError): void {
    if (this.#stopped !== null) return;
    this.#stopped = reason;
    this.#setStatus('closed', this.#lastError);
  }

  async #closeGracefully(): Promise<void> {
    // Calls waiting for a connection are already issued: let them have one, within their limits.
    while (this.#conn === null && this.#waiting.size > 0)
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    this.#wake = null;
    this.#stopDialling.abort(this.#stopped);
    await Promise.all([this.#conn?.close(), this.#pool?.close()]);
  }

  #setStatus(status: ClientStatus, error?: unknown, retryInMs?: number): void {
    this.#status = status;
    this.#emit(status, error, retryInMs);
  }

  #emit(status: ClientStatus, error: unknown, retryInMs: number | undefined): void {
    if (this.#statusListeners.size === 0) return;
    const event: StatusEvent = {
      status,
      failures: this.#failures,
      ...(error === undefined || error === null ? {} : { error }),
      ...(retryInMs === undefined || status === 'ready' || status === 'closed'
        ? {}
        : { retryInMs }),
    };
    for (const listener of this.#statusListeners) {
      try {
        listener(event);
      } catch (thrown) {
        // A listener's bug must not break reconnection; surface it as an uncaught error.
        queueMicrotask(() => {
          throw thrown;
        });
      }
    }
  }
}

/**
 * Creates a client and starts connecting at once; calls made before the connection is up wait
 * for it. `target` is a URL or address as `dial()` takes it (with every dial option in
 * `options`), or a dial function such as Sentinel's, which then owns the dial options.
 */
export function createClient(
  target?: string | DialFunction<Connection>,
  options: ClientOptions = {},
): Client {
  const settings = readClientOptions(options);
  if (typeof target === 'function') {
    const given = Object.keys(settings.dialOptions);
    if (given.length > 0)
      throw new TypeError(
        `with a dial function, dial options belong to it, not to createClient: ${given.join(', ')}`,
      );
    return new Client((signal) => target({ signal }), settings);
  }
  if (target !== undefined && typeof target !== 'string')
    throw new TypeError(
      `createClient takes a URL, an address or a dial function, got ${target === null ? 'null' : typeof target}`,
    );
  return new Client((signal) => dial(target, { ...settings.dialOptions, signal }), settings);
}

function sleep(delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delayMs);
    signal.addEventListener('abort', done, { once: true });
  });
}
