import { type Arg, ReplyError } from '@x/resp';
import type { Doer } from './types.js';

/**
 * Reports whether FCALL failed because the function is not loaded. Redis 7.0 gives this no code
 * of its own (it is `ERR Function not found`), so the text is checked here, and only here.
 */
export function isFunctionNotFound(error: unknown): boolean {
  return (
    ReplyError.is(error) && error.code === 'ERR' && /^ERR Function not found/i.test(error.message)
  );
}

/**
 * Library is a Redis Functions library (Redis 7): Lua source that starts with
 * `#!lua name=<library>`. `call` runs FCALL and, when the server does not know the function,
 * loads the library with FUNCTION LOAD REPLACE and tries once more.
 */
export class Library {
  readonly source: string;
  readonly name: string;

  constructor(source: string) {
    const match = /^#!lua name=(\S+)/.exec(source);
    if (match === null)
      throw new TypeError('a library source must start with "#!lua name=<library>"');
    this.source = source;
    this.name = match[1]!;
  }

  /** FCALL function keys... args..., loading the library on demand. */
  call(
    conn: Doer,
    name: string,
    keys: readonly Arg[] = [],
    args: readonly Arg[] = [],
  ): Promise<unknown> {
    return this.#call(conn, 'FCALL', name, keys, args);
  }

  /** FCALL_RO, for functions declared with the `no-writes` flag. */
  callReadOnly(
    conn: Doer,
    name: string,
    keys: readonly Arg[] = [],
    args: readonly Arg[] = [],
  ): Promise<unknown> {
    return this.#call(conn, 'FCALL_RO', name, keys, args);
  }

  /** Loads (or replaces) the library: FUNCTION LOAD REPLACE. */
  async load(conn: Doer): Promise<void> {
    await conn.do('FUNCTION', 'LOAD', 'REPLACE', this.source);
  }

  async #call(
    conn: Doer,
    command: string,
    name: string,
    keys: readonly Arg[],
    args: readonly Arg[],
  ): Promise<unknown> {
    const run = () => conn.do(command, name, keys.length, ...keys, ...args);
    try {
      return await run();
    } catch (error) {
      if (!isFunctionNotFound(error)) throw error;
      await this.load(conn);
      return run();
    }
  }
}
