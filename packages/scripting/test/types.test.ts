import type { Conn } from '@x/conn';
import { int } from '@x/reply';
import type { Reply, ReplyError } from '@x/resp';
import { describe, expectTypeOf, it } from 'vitest';
import { Library, runScripts, Script } from '../src/index.js';

// Type tests: `pnpm typecheck` compiles this file, so a wrong result type fails it; the
// functions are never called.
declare const conn: Conn;
const library = new Library('#!lua name=types');
const raw = new Script(1, 'return 1');
const counted = new Script(1, 'return 1', { convert: int });

describe('result types', () => {
  it('Library.call and callReadOnly are typed as Script.do', () => {
    expectTypeOf(() => library.call(conn, 'get')).returns.toEqualTypeOf<Promise<Reply>>();
    expectTypeOf(() => library.callReadOnly(conn, 'get')).returns.toEqualTypeOf<Promise<Reply>>();
    expectTypeOf(() => raw.do(conn, 'key')).returns.toEqualTypeOf<Promise<Reply>>();
    const call = () => library.call(conn, 'count', ['key'], [], { convert: int });
    expectTypeOf(call).returns.toEqualTypeOf<Promise<number>>();
    const callReadOnly = () => library.callReadOnly(conn, 'count', [], [], { convert: int });
    expectTypeOf(callReadOnly).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(() => counted.do(conn, 'key')).returns.toEqualTypeOf<Promise<number>>();
  });

  it("runScripts gives each call its script's result type, or the ReplyError", () => {
    const run = () =>
      runScripts(conn, [
        [counted, 'key'],
        [raw, 'key', 'argument'],
        [counted, 'k'],
      ]);
    expectTypeOf(run).returns.toEqualTypeOf<
      Promise<[number | ReplyError, Reply | ReplyError, number | ReplyError]>
    >();
    const calls = [[counted, 'key']] as const;
    expectTypeOf(() => runScripts(conn, calls)).returns.toEqualTypeOf<
      Promise<[number | ReplyError]>
    >();
  });
});
