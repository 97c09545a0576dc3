import { createHash } from 'node:crypto';
import { type Arg, type Reply, ReplyError } from '@x/resp';
import type { Doer, ReplyConverter, Sender } from './types.js';

/** ScriptOptions: read-only scripts and typed results. */
export interface ScriptOptions<T> {
  /** Run with EVALSHA_RO / EVAL_RO, which replicas accept and which may not write. Default false. */
  readOnly?: boolean;
  /** Converts the reply, so `await script.do(...)` is typed: `{ convert: int }`. */
  convert?: ReplyConverter<T>;
}

/** Reports whether an error is the server's NOSCRIPT reply (by its code, not its text). */
export function isNoScript(error: unknown): boolean {
  return ReplyError.is(error) && error.code === 'NOSCRIPT';
}

/**
 * Script is a Lua script run by its SHA-1 (Redigo's Script): `do` sends EVALSHA and, when the
 * server does not have the script (NOSCRIPT), EVAL with the same arguments, which also caches it.
 */
export class Script<T = Reply> {
  /** The SHA-1 of the source, in hex, computed once. */
  readonly hash: string;
  readonly keyCount: number;
  readonly source: string;
  readonly readOnly: boolean;
  readonly #convert: ReplyConverter<T>;

  /**
   * `keyCount` is how many of the arguments to `do` are keys; a negative count means the caller
   * passes the count as the first argument, as in Redigo.
   */
  constructor(keyCount: number, source: string, options: ScriptOptions<T> = {}) {
    if (!Number.isInteger(keyCount)) throw new TypeError('keyCount must be an integer');
    this.keyCount = keyCount;
    this.source = source;
    this.hash = createHash('sha1').update(source).digest('hex');
    this.readOnly = options.readOnly ?? false;
    this.#convert = options.convert ?? ((reply) => reply as T);
  }

  /** Runs the script: EVALSHA, then EVAL on NOSCRIPT. Other error replies reject as they are. */
  async do(conn: Doer, ...keysAndArgs: Arg[]): Promise<T> {
    const args = this.args(keysAndArgs);
    try {
      return this.#convert(await conn.do(this.#evalshaCommand, this.hash, ...args));
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.#convert(await conn.do(this.#evalCommand, this.source, ...args));
    }
  }

  /** Queues EVAL with the source (always works, costs the source's bytes). */
  send(conn: Sender, ...keysAndArgs: Arg[]): void {
    conn.send(this.#evalCommand, this.source, ...this.args(keysAndArgs));
  }

  /** Queues EVALSHA (cheap, but NOSCRIPT if the server lacks the script: `load` it first). */
  sendHash(conn: Sender, ...keysAndArgs: Arg[]): void {
    conn.send(this.#evalshaCommand, this.hash, ...this.args(keysAndArgs));
  }

  /** Loads the script into the server's cache (SCRIPT LOAD); resolves to its SHA-1. */
  async load(conn: Doer): Promise<string> {
    return String(await conn.do('SCRIPT', 'LOAD', this.source));
  }

  /** Converts a raw reply of this script (for replies read from a pipeline). */
  convert(reply: Reply): T {
    return this.#convert(reply);
  }

  /** The arguments after the script: the key count, then keys and arguments. */
  args(keysAndArgs: readonly Arg[]): Arg[] {
    if (this.keyCount >= 0) return [this.keyCount, ...keysAndArgs];
    if (keysAndArgs.length === 0)
      throw new TypeError('this script takes its key count as the first argument');
    return [...keysAndArgs];
  }

  get #evalshaCommand(): string {
    return this.readOnly ? 'EVALSHA_RO' : 'EVALSHA';
  }

  get #evalCommand(): string {
    return this.readOnly ? 'EVAL_RO' : 'EVAL';
  }
}
