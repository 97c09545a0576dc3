import type { CallOptions, Connection } from '@x/conn';
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

  /** Runs `work` with a borrowed connection and returns it, clean, when `work` settles. */
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
      return await this.#pool.use(work, options);
    } finally {
      this.#borrowers--;
      if (this.#borrowers === 0) this.#idle();
    }
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
