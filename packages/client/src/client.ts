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
import { ClientCall, type ClientCallOptions } from './client-call.js';
import {
  type ClientOptions,
  type ClientSettings,
  readClientOptions,
  reconnectDelayMs,
} from './client-options.js';
import { OfflineQueueFullError } from './errors.js';
import { refusalOnShared } from './shared-commands.js';

const { armCallOptions, checkCallOptions, ConnPipeline } = __internal;

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
  /** Failed connection attempts (and connections lost young) in a row; 0 once one holds. */
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
  /** Calls waiting for a connection, oldest first; a Set, so one that gives up leaves at once. */
  readonly #waiting = new Set<ClientCall>();
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
   * close. Resolves when they have.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#stop(new ConnectionError('client closed', { code: 'ERR_CLOSED' }));
    this.#closing = this.#closeGracefully();
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
    for (const call of this.#waiting) this.#giveUp(call, destroyed);
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
    if (typeof command !== 'string')
      return Promise.reject(
        new TypeError(`the command name must be a string, got ${typeof command}`),
      );
    let refusal: Error | null;
    try {
      refusal = refusalOnShared(command, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (refusal !== null) return Promise.reject(refusal);
    const conn = this.#conn;
    if (conn === null)
      return this.#wait(new ClientCall(command, args, options, this.#settings.idempotentRetries));
    // The hot path allocates no ClientCall: one is made only if the connection fails the call.
    const startedAt = options?.timeoutMs === undefined ? 0 : performance.now();
    const reply =
      options === undefined ? conn.do(command, ...args) : conn.doWith(options, command, ...args);
    return reply.then(undefined, (error: unknown) =>
      this.#afterFailure(
        error,
        conn,
        () => new ClientCall(command, args, options, this.#settings.idempotentRetries, startedAt),
      ),
    );
  }

  #send(conn: Connection, call: ClientCall): Promise<Reply> {
    const limits = call.limitsNow();
    const reply =
      limits === undefined
        ? conn.do(call.command, ...call.args)
        : conn.doWith(limits, call.command, ...call.args);
    return reply.then(undefined, (error: unknown) => this.#afterFailure(error, conn, call));
  }

  /** A call failed on `conn`: wait for the next connection if it may be sent, else reject. */
  #afterFailure(
    error: unknown,
    conn: Connection,
    callOrMake: ClientCall | (() => ClientCall),
  ): Promise<Reply> {
    // Error replies, the call's own time limit and signal: the caller's to handle.
    if (!ConnectionError.is(error) || conn.err() === null || this.#stopped !== null) throw error;
    this.#lost(conn);
    const call = typeof callOrMake === 'function' ? callOrMake() : callOrMake;
    if (error.sent) {
      if (call.retriesLeft === 0) throw error;
      call.retriesLeft--;
    }
    return this.#wait(call);
  }

  /** Queues a call until there is a connection, within its limits and the client's. */
  #wait(call: ClientCall): Promise<Reply> {
    if (this.#refusedBy !== null) return Promise.reject(this.#refusedBy);
    const limit = this.#settings.maxOfflineCommands;
    if (this.#waiting.size >= limit)
      return Promise.reject(new OfflineQueueFullError(limit, this.#lastError));
    const promise = new Promise<Reply>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    this.#waiting.add(call);
    const limits = call.limitsNow();
    const disarmOwn =
      limits === undefined
        ? () => {}
        : armCallOptions(limits, (error) =>
            this.#giveUp(
              call,
              TimeoutError.is(error)
                ? new TimeoutError(
                    `no reply within ${call.timeoutMs} ms (the client was waiting for a connection)`,
                  )
                : error,
            ),
          );
    const { offlineWaitMs } = this.#settings;
    if (offlineWaitMs === 0 || !this.#waiting.has(call)) {
      call.disarm = disarmOwn;
      return promise;
    }
    const timer = setTimeout(
      () =>
        this.#giveUp(
          call,
          new ConnectionError(
            `no connection to the server within ${offlineWaitMs} ms (offlineWaitMs): the command was not sent`,
            { cause: this.#lastError, code: 'ERR_NOT_CONNECTED' },
          ),
        ),
      offlineWaitMs,
    );
    call.disarm = () => {
      clearTimeout(timer);
      disarmOwn();
    };
    return promise;
  }

  /** A waiting call leaves the queue unsent, rejected with `error`. */
  #giveUp(call: ClientCall, error: unknown): void {
    if (!this.#waiting.delete(call)) return;
    call.disarm();
    call.reject(error);
    if (this.#waiting.size === 0) this.#wake?.();
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
    for (const call of this.#waiting) {
      this.#waiting.delete(call);
      call.disarm();
      this.#send(conn, call).then(call.resolve, call.reject);
    }
    this.#wake?.();
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
    for (const call of this.#waiting) this.#giveUp(call, this.#refusedBy);
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
    for (const call of this.#waiting) this.#giveUp(call, stopped);
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
