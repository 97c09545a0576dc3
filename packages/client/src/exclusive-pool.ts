import { __internal, type CallOptions, type Connection } from '@x/conn';
import { Pool, type PooledConn, type PoolOptions } from '@x/pool';

/**
 * ExclusivePool lends connections of their own for the client's exclusive(): a Pool, made on
 * first use, that remembers the connections it dialled (so that destroying the client destroys
 * them, and with them any work blocked on them) and counts the work under way (so that close()
 * can wait for it).
 */
export class ExclusivePool {
  readonly #options: Omit<PoolOptions, 'dial'>;
  readonly #dial: (signal: AbortSignal) => Promise<Connection>;
  readonly #idle: () => void;
  #pool: Pool | null = null;
  readonly #connections = new Set<Connection>();
  #borrowers = 0;

  /** `idle` runs each time the last work under way ends. */
  constructor(
    options: Omit<PoolOptions, 'dial'>,
    dialConnection: (signal: AbortSignal) => Promise<Connection>,
    idle: () => void,
  ) {
    this.#options = options;
    this.#dial = dialConnection;
    this.#idle = idle;
  }

  /** Work under way. */
  get borrowers(): number {
    return this.#borrowers;
  }

  /**
   * Runs `work` with a borrowed connection and returns it, clean, when `work` settles. The
   * options bound the whole loan: when they run out, the connection is destroyed (the work's
   * calls on it reject) and the loan rejects with the TimeoutError or the signal's reason.
   */
  async use<T>(work: (conn: PooledConn) => T | Promise<T>, options?: CallOptions): Promise<T> {
    this.#pool ??= new Pool({
      ...this.#options,
      dial: async ({ signal }) => {
        const conn = await this.#dial(signal);
        this.#connections.add(conn);
        void conn.closed.then(() => this.#connections.delete(conn));
        return conn;
      },
    });
    this.#borrowers++;
    try {
      if (options === undefined || !__internal.hasCallLimits(options))
        return await this.#pool.use(work);
      return await this.#bounded(this.#pool, work, options);
    } finally {
      this.#borrowers--;
      if (this.#borrowers === 0) this.#idle();
    }
  }

  #bounded<T>(
    pool: Pool,
    work: (conn: PooledConn) => T | Promise<T>,
    options: CallOptions,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let borrowed: PooledConn | null = null;
      let settled = false;
      const disarm = __internal.armCallOptions(
        options,
        (error) => {
          settled = true;
          reject(error);
          void borrowed?.destroy(error);
        },
        'end of exclusive work',
      );
      pool
        .use(async (conn) => {
          borrowed = conn;
          if (settled) throw new Error('gave up');
          try {
            return await work(conn);
          } finally {
            // The limit bounds the work, not the pool's clean-up after it: work that finished
            // in time is not reported as timed out.
            disarm();
          }
        }, options)
        .then(
          (value) => {
            disarm();
            if (!settled) resolve(value);
          },
          (error: unknown) => {
            disarm();
            if (!settled) reject(error);
          },
        );
    });
  }

  /** Closes the idle connections; borrowed ones close as they come back. */
  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }

  /** Destroys every connection, borrowed or idle: work blocked on one rejects. */
  destroy(reason: unknown): void {
    for (const conn of this.#connections) conn.destroy(reason);
    this.#pool?.close().catch(() => {});
  }
}
