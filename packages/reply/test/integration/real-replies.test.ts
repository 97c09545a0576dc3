import { type Connection, dial } from '@x/conn';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  args,
  bool,
  float,
  floatMap,
  int,
  int64,
  latencies,
  latencyHistories,
  optional,
  positions,
  scan,
  scanSlice,
  scanStruct,
  slowLogs,
  string,
  stringMap,
  strings,
} from '../../src/index.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({
    args: ['--slowlog-log-slower-than', '0', '--latency-monitor-threshold', '1'],
  });
});
afterAll(() => server?.stop());

describe.each([2, 3] as const)('helpers on real replies, RESP%i', (protocol) => {
  let conn: Connection;
  const key = (name: string) => `r${protocol}:${name}`;

  beforeAll(async () => {
    conn = await dial(server.url, { protocol });
  });
  afterAll(() => conn?.close());

  it('scalars', async () => {
    expect(await int(conn.do('INCRBY', key('n'), 41))).toBe(41);
    expect(await int64(conn.do('INCRBY', key('big'), '9223372036854775806'))).toBe(
      9223372036854775806n,
    );
    expect(await float(conn.do('INCRBYFLOAT', key('f'), 1.25))).toBe(1.25);
    expect(await string(conn.do('ECHO', 'héllo'))).toBe('héllo');
    expect(await bool(conn.do('EXISTS', key('n')))).toBe(true);
    await expect(string(conn.do('GET', key('missing')))).rejects.toMatchObject({
      name: 'NilError',
    });
    await expect(int(conn.do('HSET', key('n'), 'f', 'v'))).rejects.toMatchObject({
      code: 'WRONGTYPE',
    });
  });

  it('HGETALL with stringMap and scanStruct', async () => {
    await conn.do('HSET', key('user'), args().addFlat({ name: 'Ada', age: 36, admin: 1 }));
    expect(await stringMap(conn.do('HGETALL', key('user')))).toEqual(
      Object.assign(Object.create(null), { name: 'Ada', age: '36', admin: '1' }),
    );
    const user = await scanStruct(conn.do('HGETALL', key('user')), {
      name: string,
      age: int,
      admin: bool,
      email: optional(string),
    });
    expect(user).toEqual({ name: 'Ada', age: 36, admin: true, email: null });
  });

  it('ZRANGE WITHSCORES with floatMap', async () => {
    await conn.do('ZADD', key('z'), 1, 'a', 2.5, 'b', '+inf', 'c');
    const scores = await floatMap(conn.do('ZRANGE', key('z'), 0, -1, 'WITHSCORES'));
    expect({ ...scores }).toEqual({ a: 1, b: 2.5, c: Number.POSITIVE_INFINITY });
  });

  it('GEOPOS with positions', async () => {
    await conn.do('GEOADD', key('geo'), 13.361389, 38.115556, 'Palermo');
    const [palermo, missing] = await positions(conn.do('GEOPOS', key('geo'), 'Palermo', 'Nowhere'));
    expect(palermo?.[0]).toBeCloseTo(13.361389, 5);
    expect(palermo?.[1]).toBeCloseTo(38.115556, 5);
    expect(missing).toBeNull();
  });

  it('CONFIG GET with stringMap', async () => {
    const config = await stringMap(conn.do('CONFIG', 'GET', 'maxmemory*'));
    expect(config['maxmemory-policy']).toBe('noeviction');
  });

  it('SORT ... GET with scanSlice, and LRANGE with strings', async () => {
    await conn.do('RPUSH', key('ids'), 2, 1);
    await conn.do('MSET', key('name:1'), 'one', key('name:2'), 'two');
    const rows = await scanSlice(
      conn.do('SORT', key('ids'), 'GET', '#', 'GET', `${key('name:')}*`),
      [int, string],
    );
    expect(rows).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    expect(await strings(conn.do('LRANGE', key('ids'), 0, -1))).toEqual(['2', '1']);
    const [first] = await scan(conn.do('LRANGE', key('ids'), 0, -1), [int]);
    expect(first).toBe(2);
  });

  it('SLOWLOG GET with slowLogs', async () => {
    await conn.do('ECHO', 'slow?');
    const logs = await slowLogs(conn.do('SLOWLOG', 'GET', 5));
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]?.time).toBeInstanceOf(Date);
    expect(Array.isArray(logs[0]?.args)).toBe(true);
    expect(typeof logs[0]?.clientAddr).toBe('string');
  });

  it('LATENCY LATEST and HISTORY with latencies', async () => {
    await conn.do('DEBUG', 'SLEEP', 0.01);
    const latest = await latencies(conn.do('LATENCY', 'LATEST'));
    const command = latest.find((entry) => entry.name === 'command');
    expect(command?.maxMs).toBeGreaterThanOrEqual(10);
    const history = await latencyHistories(conn.do('LATENCY', 'HISTORY', 'command'));
    expect(history[0]?.executionTimeMs).toBeGreaterThanOrEqual(10);
    expect(await int(conn.do('LATENCY', 'RESET'))).toBeGreaterThan(0);
  });
});
