import { type Connection, dial } from '@x/conn';
import { Pool } from '@x/pool';
import { int, strings } from '@x/reply';
import { type Reply, ReplyError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { Library, runScripts, Script } from '../../src/index.js';

const redis = useRedisServer();
let conn: Connection;

beforeAll(async () => {
  conn = await dial(redis.url);
});
afterAll(() => conn?.close());
beforeEach(async () => {
  await conn.do('SCRIPT', 'FLUSH');
  await conn.do('CONFIG', 'RESETSTAT');
});

async function calls(command: string): Promise<number> {
  const stats = String(await conn.do('INFO', 'commandstats'));
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats);
  return match ? Number(match[1]) : 0;
}

const incrBy = new Script(1, "return redis.call('INCRBY', KEYS[1], ARGV[1])", { convert: int });

describe('Script.do', () => {
  it('falls back to EVAL once, then runs by EVALSHA', async () => {
    expect(await incrBy.do(conn, 'counter', 5)).toBe(5);
    expect(await incrBy.do(conn, 'counter', 2)).toBe(7);
    expect(await incrBy.do(conn, 'counter', 1)).toBe(8);
    expect(await calls('eval')).toBe(1);
    expect(await calls('evalsha')).toBe(3);
  });

  it('still works after SCRIPT FLUSH between calls', async () => {
    await incrBy.do(conn, 'flushed', 1);
    await conn.do('SCRIPT', 'FLUSH');
    expect(await incrBy.do(conn, 'flushed', 1)).toBe(2);
  });

  it('types the result from its converter', async () => {
    const result = incrBy.do(conn, 'typed', 1);
    expectTypeOf(result).toEqualTypeOf<Promise<number>>();
    const list = new Script(0, "return {'a', 'b'}", { convert: strings });
    expect(await list.do(conn)).toEqual(['a', 'b']);
  });

  it('surfaces a script error as a ReplyError with the script message', async () => {
    const failing = new Script(0, "return redis.error_reply('BADTHING it went wrong')");
    const error = await failing.do(conn).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as ReplyError).code).toBe('BADTHING');
    expect((error as ReplyError).message).toContain('it went wrong');
    const runtime = new Script(0, "return redis.call('INCR')");
    await expect(runtime.do(conn)).rejects.toThrow(/Wrong number of args/i);
  });

  it('rejects a wrong key count with the server error', async () => {
    const twoKeys = new Script(2, 'return KEYS[2]');
    await expect(twoKeys.do(conn, 'only-one')).rejects.toThrow(
      /greater than number of args|can't be greater/i,
    );
  });

  it('takes the key count from the caller when keyCount is negative', async () => {
    const anyKeys = new Script(-1, 'return #KEYS');
    expect(await anyKeys.do(conn, 3, 'a', 'b', 'c', 'arg')).toBe(3);
  });

  it('runs read-only scripts with EVALSHA_RO', async () => {
    await conn.do('SET', 'ro', 'value');
    const read = new Script(1, "return redis.call('GET', KEYS[1])", { readOnly: true });
    expect(await read.do(conn, 'ro')).toEqual(Buffer.from('value'));
    expect(await read.do(conn, 'ro')).toEqual(Buffer.from('value'));
    expect(await calls('evalsha_ro')).toBe(2);
    const write = new Script(1, "return redis.call('SET', KEYS[1], 'x')", { readOnly: true });
    await expect(write.do(conn, 'ro')).rejects.toThrow(/Write commands are not allowed/i);
  });

  it('works on a pool and on a pooled connection', async () => {
    const pool = new Pool({ dial: () => dial(redis.url), maxActive: 2 });
    expect(await incrBy.do(pool, 'pooled', 1)).toBe(1);
    const borrowed = await pool.get();
    expect(await incrBy.do(borrowed, 'pooled', 1)).toBe(2);
    await borrowed.close();
    await pool.close();
  });

  it('send, sendHash and load queue the right commands', async () => {
    expect(await incrBy.load(conn)).toBe(incrBy.hash);
    incrBy.sendHash(conn, 'queued', 1);
    incrBy.send(conn, 'queued', 1);
    expect(await conn.do('')).toEqual([1, 2]);
  });
});

describe('runScripts', () => {
  it('runs script calls in one round trip and keeps order after SCRIPT FLUSH', async () => {
    const append = new Script(1, "return redis.call('RPUSH', KEYS[1], ARGV[1])");
    const length = new Script(1, "return redis.call('LLEN', KEYS[1])", { convert: int });
    await append.load(conn);
    await conn.do('SCRIPT', 'FLUSH');
    const results = await runScripts(conn, [
      [append, 'batch', 'a'],
      [length, 'batch'],
      [append, 'batch', 'b'],
      [incrBy, 'batch', 1],
      [length, 'batch'],
    ]);
    expect(results[0]).toBe(1);
    expect(results[1]).toBe(1);
    expect(results[2]).toBe(2);
    expect(results[3]).toBeInstanceOf(ReplyError);
    expect((results[3] as ReplyError).code).toBe('WRONGTYPE');
    expect(results[4]).toBe(2);
    // One load before the flush, then one per distinct script; every call ran twice by EVALSHA.
    expect(await calls('script\\|load')).toBe(4);
    expect(await calls('evalsha')).toBe(10);
  });
});

describe('Library (Redis Functions)', () => {
  const library = new Library(
    [
      '#!lua name=xlib',
      "redis.register_function('xlib_hello', function(keys, args) return 'hello ' .. args[1] end)",
      "redis.register_function{function_name='xlib_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
    ].join('\n'),
  );

  it('loads on demand, and again after FUNCTION FLUSH', async () => {
    expect(await library.call(conn, 'xlib_hello', [], ['world'])).toEqual(
      Buffer.from('hello world'),
    );
    await conn.do('FUNCTION', 'FLUSH');
    expect(await library.call(conn, 'xlib_hello', [], ['again'])).toEqual(
      Buffer.from('hello again'),
    );
    await conn.do('SET', 'fkey', 'v');
    expect(await library.callReadOnly(conn, 'xlib_get', ['fkey'])).toEqual(Buffer.from('v'));
  });

  it('converts the reply with `convert`, also after loading on demand', async () => {
    const convert = (reply: Reply) => String(reply).toUpperCase();
    await conn.do('FUNCTION', 'FLUSH');
    expect(await library.call(conn, 'xlib_hello', [], ['world'], { convert })).toBe('HELLO WORLD');
    await conn.do('SET', 'fkey', 'v');
    expect(await library.callReadOnly(conn, 'xlib_get', ['fkey'], [], { convert })).toBe('V');
  });

  it('passes other errors through without reloading', async () => {
    await library.load(conn);
    await expect(library.call(conn, 'xlib_missing_function')).rejects.toThrow(/Function not found/);
    expect(() => new Library('return 1')).toThrow(/#!lua name=/);
  });
});
