import { type Arg, type Reply, ReplyError } from '@x/resp';
import type { Doer, ReplyConverter } from './types.js';

/** LibraryCallOptions types one function call's result, as ScriptOptions' `convert` does a Script's. */
export interface LibraryCallOptions<T> {
  /** Converts the reply, so `await library.call(...)` is typed: `{ convert: int }`. */
  convert?: ReplyConverter<T>;
}

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

  /**
   * FCALL function keys... args..., loading the library on demand. Resolves to the reply as it is
   * (a `Reply`), or converted by `options.convert`.
   */
  call<T = Reply>(
    conn: Doer,
    name: string,
    keys: readonly Arg[] = [],
    args: readonly Arg[] = [],
    options: LibraryCallOptions<T> = {},
  ): Promise<T> {
    return this.#call(conn, 'FCALL', name, keys, args, options);
  }

  /** FCALL_RO, for functions declared with the `no-writes` flag; typed as `call`. */
  callReadOnly<T = Reply>(
    conn: Doer,
    name: string,
    keys: readonly Arg[] = [],
    args: readonly Arg[] = [],
    options: LibraryCallOptions<T> = {},
  ): Promise<T> {
    return this.#call(conn, 'FCALL_RO', name, keys, args, options);
  }

  /** Loads (or replaces) the library: FUNCTION LOAD REPLACE. */
  async load(conn: Doer): Promise<void> {
    await conn.do('FUNCTION', 'LOAD', 'REPLACE', this.source);
  }

  async #call<T>(
    conn: Doer,
    command: string,
    name: string,
    keys: readonly Arg[],
    args: readonly Arg[],
    { convert = (reply) => reply as T }: LibraryCallOptions<T>,
  ): Promise<T> {
    const run = () => conn.do(command, name, keys.length, ...keys, ...args);
    try {
      return convert(await run());
    } catch (error) {
      if (!isFunctionNotFound(error)) throw error;
      await this.load(conn);
      return convert(await run());
    }
  }
}
