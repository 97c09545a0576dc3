import { inspect } from 'node:util';
import { type CallOptions, type Conn, ConnectionError, type Pipeline } from '@x/conn';
import type { Arg, Push, Reply } from '@x/resp';
import { ConnectionState } from './connection-state.js';

/** How a PooledConn hands its connection back: the pool's own, never part of the public API. */
export type Release = (conn: Conn, state: ConnectionState, unfinished: boolean) => Promise<void>;

/**
 * PooledConn is a borrowed connection. It behaves as the connection it wraps, follows the state
 * the borrower's commands leave behind, and `close()` hands it back to the pool.
 */
export class PooledConn implements Conn {
  #conn: Conn | null;
  readonly #release: Release;
  readonly #state = new ConnectionState();
  readonly #pushUnsubscribes = new Set<() => void>();
  #unfinished = 0;
  #released: Promise<void> | null = null;

  /** @internal Made by Pool.get. */
  constructor(conn: Conn, release: Release) {
    this.#conn = conn;
    this.#release = release;
  }

  /** The borrowed connection's protocol, when it tells (an @x/conn Connection does). */
  get protocol(): 2 | 3 | undefined {
    return (this.#conn as { readonly protocol?: 2 | 3 } | null)?.protocol;
  }

  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#run(command, args, (conn) => conn.do(command, ...args));
  }

  doWith(options: CallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#run(command, args, (conn) => conn.doWith(options, command, ...args));
  }

  send(command: string, ...args: Arg[]): void {
    const conn = this.#borrowed();
    conn.send(command, ...args);
    this.#state.track(command, args);
  }

  flush(): Promise<void> {
    return this.#watch(this.#borrowedOrReject().then((conn) => conn.flush()));
  }

  receive(): Promise<Reply> {
    return this.#watch(this.#borrowedOrReject().then((conn) => conn.receive()));
  }

  receiveWith(options: CallOptions): Promise<Reply> {
    return this.#watch(this.#borrowedOrReject().then((conn) => conn.receiveWith(options)));
  }

  pipeline(): Pipeline {
    const pipeline = this.#borrowed().pipeline();
    return {
      send: (command, ...args) => {
        this.#borrowed();
        pipeline.send(command, ...args);
        this.#state.track(command, args);
      },
      flush: () => this.#watch(pipeline.flush()),
      receive: () => this.#watch(pipeline.receive()),
      receiveAll: () => this.#watch(pipeline.receiveAll()),
    };
  }

  onPush(listener: (push: Push) => void): () => void {
    const unsubscribe = this.#borrowed().onPush(listener);
    this.#pushUnsubscribes.add(unsubscribe);
    return () => {
      unsubscribe();
      this.#pushUnsubscribes.delete(unsubscribe);
    };
  }

  /** The borrowed connection's fatal error; once returned, an error saying so (Redigo's Err). */
  err(): Error | null {
    return this.#conn === null ? returnedError() : this.#conn.err();
  }

  /**
   * Ends the loan by destroying the connection instead of returning it: its pending calls reject
   * with ConnectionError whose cause is `reason`, and the pool dials a new one when it needs one.
   * For a connection that must not be reused, or work that must stop now.
   */
  destroy(reason?: unknown): Promise<void> {
    const conn = this.#conn as (Conn & { destroy?: (reason?: unknown) => void }) | null;
    conn?.destroy?.(reason);
    return this.close();
  }

  /** Returns the connection to the pool, clean; closing twice is harmless. */
  close(): Promise<void> {
    if (this.#released !== null) return this.#released;
    const conn = this.#conn!;
    this.#conn = null;
    for (const unsubscribe of this.#pushUnsubscribes) unsubscribe();
    this.#released = this.#release(conn, this.#state, this.#unfinished > 0);
    return this.#released;
  }

  /** `await using conn = await pool.get()` returns the connection to the pool when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  [inspect.custom](): string {
    return `PooledConn { ${this.#conn === null ? 'returned' : 'borrowed'} }`;
  }

  #run(
    command: string,
    args: readonly Arg[],
    call: (conn: Conn) => Promise<Reply>,
  ): Promise<Reply> {
    if (this.#conn === null) return Promise.reject(returnedError());
    this.#state.track(command, args);
    return this.#watch(call(this.#conn));
  }

  /** Counts calls still waiting: a connection returned with one unfinished is closed for real. */
  #watch<T>(promise: Promise<T>): Promise<T> {
    this.#unfinished++;
    const done = () => {
      this.#unfinished--;
    };
    promise.then(done, done);
    return promise;
  }

  #borrowed(): Conn {
    if (this.#conn === null) throw returnedError();
    return this.#conn;
  }

  #borrowedOrReject(): Promise<Conn> {
    return this.#conn === null ? Promise.reject(returnedError()) : Promise.resolve(this.#conn);
  }
}

function returnedError(): ConnectionError {
  return new ConnectionError('connection used after it was returned to the pool', {
    code: 'ERR_CLOSED',
  });
}
