import { __internal, type CallOptions, type Conn, type DialFunction } from '@x/conn';
import type { Arg, Reply } from '@x/resp';
import { restoreCleanState } from './clean-state.js';
import type { ConnectionState } from './connection-state.js';
import { PoolClosedError, PoolExhaustedError } from './errors.js';
import { PooledConn } from './pooled-conn.js';

/** PoolOptions are Redigo's Pool fields; durations are in milliseconds. */
export interface PoolOptions {
  /**
   * Makes a new connection, for example `({ signal }) => dial(url, { signal })`. Any connection
   * source works. The signal aborts when the caller of `get` gives up or the pool closes.
   */
  dial: DialFunction<Conn>;
  /**
   * Checks an idle connection before it is handed out; throw (or reject) to discard it and try
   * another. `lastUsedMs` is when it was last returned (Date.now() time). Default: no check.
   */
  testOnBorrow?: (conn: Conn, lastUsedMs: number) => void | Promise<void>;
  /** Most idle connections kept. Default 10. */
  maxIdle?: number;
  /** Most connections open at once, idle or in use; 0 means no limit. Default 0. */
  maxActive?: number;
  /** Close connections idle for longer than this; 0 keeps them. Default 0. */
  idleTimeoutMs?: number;
  /** At maxActive, wait for a connection (true) or fail with PoolExhaustedError (false). Default false. */
  wait?: boolean;
  /** Close connections older than this when they come back or are taken; 0 means no limit. Default 0. */
  maxConnLifetimeMs?: number;
}

/** PoolStats is a snapshot of a pool's counters. */
export interface PoolStats {
  /** Open connections, idle and in use (Redigo's ActiveCount). */
  activeCount: number;
  idleCount: number;
  /** Callers waiting now. */
  waitingCount: number;
  /**
   * Waits that ended with a connection (Redigo's WaitCount): counted when the wait ends, so a
   * caller still waiting, or one that gave up or was turned away by close(), is not in it.
   */
  waitCount: number;
  /** Total time of the waits in `waitCount` (Redigo's WaitDuration). */
  waitDurationMs: number;
  dialCount: number;
  dialErrorCount: number;
  /** Connections closed because they broke, were left dirty, or failed testOnBorrow. */
  discardCount: number;
}

interface IdleConn {
  conn: Conn;
  createdMs: number;
  lastUsedMs: number;
}

/** A caller at maxActive: it is handed a connection, or `null` (a slot is free, dial one). */
type Waiter = __internal.Waiter<IdleConn | null>;

/**
 * Pool keeps connections for reuse: Redigo's Pool, safe for any number of concurrent borrowers.
 * Idle connections are reused most recently used first; idle timeouts and lifetimes are checked
 * when connections are taken or returned, so no timer keeps the process alive.
 */
export class Pool {
  readonly #options: Required<Omit<PoolOptions, 'testOnBorrow'>> &
    Pick<PoolOptions, 'testOnBorrow'>;
  /** Most recently used last. */
  readonly #idle: IdleConn[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #created = new WeakMap<Conn, number>();
  #active = 0;
  /** Aborts dials in progress when the pool closes. */
  readonly #closing = new AbortController();
  readonly #release = (conn: Conn, state: ConnectionState, unfinished: boolean) =>
    this.#put(conn, state, unfinished);
  readonly #stats = {
    waitCount: 0,
    waitDurationMs: 0,
    dialCount: 0,
    dialErrorCount: 0,
    discardCount: 0,
  };

  constructor(options: PoolOptions) {
    this.#options = {
      maxIdle: 10,
      maxActive: 0,
      idleTimeoutMs: 0,
      wait: false,
      maxConnLifetimeMs: 0,
      ...options,
    };
  }

  /**
   * Borrows a connection; its `close()` returns it. `signal` and `timeoutMs` bound the whole
   * call, the wait for a free slot and the dial: past them it rejects with the signal's reason
   * or a TimeoutError, and the dial's signal aborts.
   */
  async get(options: CallOptions = {}): Promise<PooledConn> {
    if (!__internal.hasCallLimits(options)) return this.#get(undefined);
    const limit = __internal.callSignal(options, 'connection from the pool');
    try {
      return await this.#get(limit.signal);
    } finally {
      limit.disarm();
    }
  }

  /** Borrows a connection, runs `work` with it, and always returns it, also when `work` throws. */
  async use<T>(work: (conn: PooledConn) => T | Promise<T>, options: CallOptions = {}): Promise<T> {
    const conn = await this.get(options);
    try {
      return await work(conn);
    } finally {
      await conn.close();
    }
  }

  /** Runs one command on a borrowed connection. */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.use((conn) => conn.do(command, ...args));
  }

  /** A snapshot of the pool's counters. */
  stats(): PoolStats {
    return {
      activeCount: this.#active,
      idleCount: this.#idle.length,
      waitingCount: this.#waiters.length,
      ...this.#stats,
    };
  }

  /** Closes idle connections and rejects waiters; borrowed connections close when returned. */
  close(): Promise<void> {
    // A second call (a shutdown hook, then `await using`) waits for the same closing.
    this.#closingDone ??= this.#close();
    return this.#closingDone;
  }

  async #close(): Promise<void> {
    this.#closing.abort(new PoolClosedError());
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new PoolClosedError());
    await Promise.all(this.#idle.splice(0).map((idle) => this.#discard(idle.conn, false)));
  }

  /**
   * `await using pool = new Pool(...)` closes the pool when the block ends, as `close()` does:
   * idle connections close, waiters reject, borrowed ones close when returned.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get #closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** What close() returns to every caller. */
  #closingDone: Promise<void> | null = null;

  /** `get` under one signal (the caller's limits), or none. */
  async #get(signal: AbortSignal | undefined): Promise<PooledConn> {
    for (;;) {
      if (this.#closed) throw new PoolClosedError();
      signal?.throwIfAborted();
      this.#pruneIdle();
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        const conn = await this.#checkIdle(idle);
        if (conn !== null) return new PooledConn(conn, this.#release);
        continue;
      }
      const { maxActive, wait } = this.#options;
      if (maxActive === 0 || this.#active < maxActive) return this.#dialNew(signal);
      if (!wait) throw new PoolExhaustedError(maxActive);
      const handedOver = await this.#waitForTurn(signal);
      if (handedOver !== null) return new PooledConn(handedOver.conn, this.#release);
      return this.#dialNew(signal, true);
    }
  }

  /** Takes a returned connection back, restoring a clean state first. Called by PooledConn.close(). */
  async #put(conn: Conn, state: ConnectionState, unfinished: boolean): Promise<void> {
    let reusable = !this.#closed && !unfinished && !state.unrecoverable && conn.err() === null;
    if (reusable) reusable = await restoreCleanState(conn, state);
    const createdMs = this.#created.get(conn) ?? Date.now();
    if (reusable && this.#expired(createdMs)) reusable = false;
    if (!reusable) {
      await this.#discard(conn, !this.#closed);
      return;
    }
    await this.#keep(conn, createdMs);
  }

  /** Hands a clean connection to the first waiter, or keeps it idle. */
  async #keep(conn: Conn, createdMs: number): Promise<void> {
    this.#pruneIdle();
    const idle: IdleConn = { conn, createdMs, lastUsedMs: Date.now() };
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(idle);
      return;
    }
    this.#idle.push(idle);
    if (this.#idle.length > this.#options.maxIdle) {
      const oldest = this.#idle.shift()!;
      await this.#discard(oldest.conn, false);
    }
  }

  /**
   * Dials a connection into a free slot; `reserved` when #wakeForSlot already counted it. The
   * caller goes as soon as its signal aborts, also when the dial ignores its own signal; a
   * connection that arrives after that is kept for the next caller.
   */
  async #dialNew(signal: AbortSignal | undefined, reserved = false): Promise<PooledConn> {
    if (!reserved) this.#active++;
    this.#stats.dialCount++;
    const dialLimit =
      signal === undefined
        ? { signal: this.#closing.signal, disarm: () => {} }
        : __internal.callSignal({ signal }, 'connection', this.#closing.signal);
    const dialing = this.#options.dial({ signal: dialLimit.signal }).then(
      (conn) => {
        this.#created.set(conn, Date.now());
        return conn;
      },
      (error: unknown) => {
        this.#active--;
        if (this.#closed) throw new PoolClosedError();
        this.#stats.dialErrorCount++;
        this.#wakeForSlot();
        throw error;
      },
    );
    let conn: Conn;
    try {
      conn = await (signal === undefined
        ? dialing
        : __internal.waitInQueue<Conn>(
            { signal },
            (waiter) => dialing.then(waiter.resolve, waiter.reject),
            () => {},
          ));
    } catch (error) {
      if (signal?.aborted) this.#adoptLate(dialing);
      throw error;
    } finally {
      dialLimit.disarm();
    }
    if (this.#closed) {
      await this.#discard(conn, false);
      throw new PoolClosedError();
    }
    return new PooledConn(conn, this.#release);
  }

  /** A dial whose caller gave up: its connection, if one comes, serves the next caller. */
  #adoptLate(dialing: Promise<Conn>): void {
    dialing.then(
      (conn) =>
        this.#closed
          ? this.#discard(conn, false)
          : this.#keep(conn, this.#created.get(conn) ?? Date.now()),
      () => {},
    );
  }

  /** Returns the idle connection if it passes the checks, else discards it and returns null. */
  async #checkIdle(idle: IdleConn): Promise<Conn | null> {
    if (idle.conn.err() !== null || this.#expired(idle.createdMs)) {
      await this.#discard(idle.conn, true);
      return null;
    }
    if (this.#options.testOnBorrow !== undefined) {
      try {
        await this.#options.testOnBorrow(idle.conn, idle.lastUsedMs);
      } catch {
        await this.#discard(idle.conn, true);
        return null;
      }
    }
    return idle.conn;
  }

  #expired(createdMs: number): boolean {
    const { maxConnLifetimeMs } = this.#options;
    return maxConnLifetimeMs > 0 && Date.now() - createdMs >= maxConnLifetimeMs;
  }

  /** Closes connections idle for longer than idleTimeoutMs, oldest first (on get and on release). */
  #pruneIdle(): void {
    const { idleTimeoutMs } = this.#options;
    if (idleTimeoutMs <= 0) return;
    const cutoff = Date.now() - idleTimeoutMs;
    while (this.#idle.length > 0 && this.#idle[0]!.lastUsedMs < cutoff) {
      void this.#discard(this.#idle.shift()!.conn, false);
    }
  }

  /** Queues for a connection or a free slot; counted in the stats once it has one, as Redigo does. */
  async #waitForTurn(signal: AbortSignal | undefined): Promise<IdleConn | null> {
    const startedMs = performance.now();
    const handedOver = await __internal.waitInQueue<IdleConn | null>(
      signal === undefined ? undefined : { signal },
      (waiter) => this.#waiters.push(waiter),
      // An aborted waiter leaves the queue; its place goes to the next one.
      (waiter) => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
      },
      'connection from the pool',
    );
    this.#stats.waitCount++;
    this.#stats.waitDurationMs += performance.now() - startedMs;
    return handedOver;
  }

  /** A slot freed up (a connection closed or a dial failed): reserve it for the first waiter. */
  #wakeForSlot(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    this.#active++;
    waiter.resolve(null);
  }

  async #discard(conn: Conn, counted: boolean): Promise<void> {
    this.#active--;
    if (counted) this.#stats.discardCount++;
    this.#wakeForSlot();
    await conn.close().catch(() => {});
  }
}
