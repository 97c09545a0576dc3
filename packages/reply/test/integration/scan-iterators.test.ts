import { createClient } from '@x/client';
import { type Connection, dial } from '@x/conn';
import { Pool } from '@x/pool';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Doer,
  type DoerArg,
  hscanIterator,
  scanIterator,
  sscanIterator,
  zscanIterator,
} from '../../src/index.js';

const redis = useRedisServer();

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Wraps a Doer to count the commands it is asked to run. */
function counting(doer: Doer) {
  const counted = {
    calls: 0,
    do: (command: string, ...args: DoerArg[]) => {
      counted.calls++;
      return doer.do(command, ...args);
    },
  };
  return counted;
}

const numbered = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe.each([2, 3] as const)('over RESP%i', (protocol) => {
  let conn: Connection;
  const key = (name: string) => `it${protocol}:${name}`;

  beforeAll(async () => {
    conn = await dial(redis.url, { protocol });
    await conn.do(
      'MSET',
      numbered(key('k:'), 250).flatMap((name) => [name, 'v']),
    );
    await conn.do('HSET', key('hash:1'), 'f', 'v');
  });
  afterAll(() => conn?.close());

  it('SCAN returns every key present throughout, at least once, in several calls', async () => {
    const counted = counting(conn);
    const keys = await collect(scanIterator(counted, { match: key('k:*'), count: 20 }));
    expect(new Set(keys)).toEqual(new Set(numbered(key('k:'), 250)));
    expect(keys.length).toBeGreaterThanOrEqual(250);
    expect(counted.calls).toBeGreaterThan(1);
  });

  it('SCAN TYPE keeps to one type', async () => {
    expect(await collect(scanIterator(conn, { match: key('*'), type: 'hash' }))).toEqual([
      key('hash:1'),
    ]);
  });

  it('SCAN that matches nothing goes through empty batches to the end', async () => {
    const counted = counting(conn);
    expect(await collect(scanIterator(counted, { match: key('none:*'), count: 10 }))).toEqual([]);
    expect(counted.calls).toBeGreaterThan(1);
  });

  it('HSCAN yields [field, value] pairs, from a small (listpack) and a large hash', async () => {
    await conn.do('HSET', key('small'), 'name', 'Ada', 'empty', '');
    expect(await collect(hscanIterator(conn, key('small')))).toEqual([
      ['name', 'Ada'],
      ['empty', ''],
    ]);
    const fields = numbered('f', 300);
    await conn.do(
      'HSET',
      key('large'),
      fields.flatMap((field) => [field, `${field}!`]),
    );
    const pairs = await collect(hscanIterator(conn, key('large'), { match: 'f1*', count: 15 }));
    const expected = fields.filter((field) => field.startsWith('f1')).map((f) => [f, `${f}!`]);
    expect(new Map(pairs)).toEqual(new Map(expected as [string, string][]));
  });

  it('SSCAN yields members of an intset and of a hashtable set', async () => {
    await conn.do('SADD', key('ints'), 3, 1, 2);
    expect((await collect(sscanIterator(conn, key('ints')))).sort()).toEqual(['1', '2', '3']);
    const members = numbered('m', 200);
    await conn.do('SADD', key('set'), members);
    expect(new Set(await collect(sscanIterator(conn, key('set'), { count: 7 })))).toEqual(
      new Set(members),
    );
  });

  it('ZSCAN yields [member, score] with scores as numbers, infinities included', async () => {
    await conn.do('ZADD', key('z'), 1.5, 'a', '-inf', 'b', 3, 'c');
    expect(new Map(await collect(zscanIterator(conn, key('z'))))).toEqual(
      new Map([
        ['a', 1.5],
        ['b', Number.NEGATIVE_INFINITY],
        ['c', 3],
      ]),
    );
  });

  it('yields nothing for a missing key', async () => {
    expect(await collect(hscanIterator(conn, key('missing')))).toEqual([]);
    expect(await collect(sscanIterator(conn, key('missing')))).toEqual([]);
    expect(await collect(zscanIterator(conn, key('missing')))).toEqual([]);
  });

  it('rejects with the server error for a key of another type', async () => {
    await expect(collect(zscanIterator(conn, key('k:0')))).rejects.toMatchObject({
      code: 'WRONGTYPE',
    });
  });

  it('sends no further SCAN after a break', async () => {
    const counted = counting(conn);
    let callsAtBreak = 0;
    for await (const _ of scanIterator(counted, { match: key('k:*'), count: 10 })) {
      callsAtBreak = counted.calls;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(callsAtBreak).toBeGreaterThan(0);
    expect(counted.calls).toBe(callsAtBreak);
  });

  it('rejects with AbortError when aborted between keys, and calls no more', async () => {
    const counted = counting(conn);
    const controller = new AbortController();
    let seen = 0;
    let callsAtAbort = 0;
    const iteration = (async () => {
      for await (const _ of scanIterator(counted, { count: 10, signal: controller.signal })) {
        if (++seen === 2) {
          callsAtAbort = counted.calls;
          controller.abort();
        }
      }
    })();
    await expect(iteration).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(2);
    expect(counted.calls).toBe(callsAtAbort);
  });

  it('rejects promptly when aborted while the server is busy, and the connection goes on', async () => {
    const sleeping = conn.do('DEBUG', 'SLEEP', 0.5); // the SCAN waits behind it
    const started = Date.now();
    const iteration = collect(scanIterator(conn, { signal: AbortSignal.timeout(50) }));
    await expect(iteration).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(400);
    await sleeping;
    expect(await conn.do('PING')).toBe('PONG');
  });
});

describe('other things with do()', () => {
  beforeAll(async () => {
    const conn = await dial(redis.url);
    await conn.do('HSET', 'others:hash', 'a', '1', 'b', '2');
    await conn.do('MSET', 'others:k1', 'v', 'others:k2', 'v');
    await conn.close();
  });

  it('a Pool and a pooled connection', async () => {
    const pool = new Pool({ dial: ({ signal }) => dial(redis.url, { signal }), maxActive: 2 });
    try {
      const keys = await collect(scanIterator(pool, { match: 'others:k*' }));
      expect(keys.sort()).toEqual(['others:k1', 'others:k2']);
      const pairs = await pool.use((conn) => collect(hscanIterator(conn, 'others:hash')));
      expect(new Map(pairs)).toEqual(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
      );
    } finally {
      await pool.close();
    }
  });

  it.each([2, 3] as const)('a Client over RESP%i, with a signal', async (protocol) => {
    const client = createClient(redis.url, { protocol });
    try {
      const signal = new AbortController().signal;
      const pairs = await collect(hscanIterator(client, 'others:hash', { signal }));
      expect(pairs.sort()).toEqual([
        ['a', '1'],
        ['b', '2'],
      ]);
      const aborted = collect(scanIterator(client, { signal: AbortSignal.abort() }));
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await client.close();
    }
  });
});
