import { type Connection, ConnectionError, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';

const redis = useRedisServer();
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

const clientId = (conn: { do: Connection['do'] }) => conn.do('CLIENT', 'ID');

describe.each([
  [2, 'buffer'],
  [2, 'string'],
  [3, 'buffer'],
  [3, 'string'],
] as const)(
  'returning a subscribed connection over RESP%i with %s bulk strings',
  (protocol, bulkStringsAs) => {
    it('cleans it at once and reuses it', async () => {
      const pool = new Pool({
        maxActive: 1,
        dial: ({ signal }) => dial(redis.url, { protocol, signal, decoder: { bulkStringsAs } }),
      });
      const conn = await pool.get();
      const id = await clientId(conn);
      conn.send('SUBSCRIBE', 'returned');
      conn.send('SSUBSCRIBE', 'returned-shard');
      await conn.flush();
      const startedMs = performance.now();
      await conn.close();
      expect(performance.now() - startedMs).toBeLessThan(1_000);
      const next = await pool.get();
      expect(await clientId(next)).toBe(id);
      expect(await next.do('PING')).toBe('PONG');
      expect(pool.stats().discardCount).toBe(0);
      await next.close();
      await pool.close();
    });
  },
);

describe('the drain marker', () => {
  it('is not a value a borrower can leave behind', async () => {
    // Earlier builds used this fixed marker; a reply equal to it ended the drain early.
    await admin.do('SET', 'looks-like-the-marker', 'x-pool-drain-sentinel');
    const pool = new Pool({ maxActive: 1, dial: ({ signal }) => dial(redis.url, { signal }) });
    const conn = await pool.get();
    conn.send('GET', 'looks-like-the-marker');
    conn.send('SUBSCRIBE', 'marker');
    await conn.flush();
    await conn.close();
    const next = await pool.get();
    next.send('ECHO', 'fresh');
    expect(await next.receiveWith({ timeoutMs: 2_000 })).toEqual(Buffer.from('fresh'));
    await next.close();
    await pool.close();
  });
});

describe('err() after close', () => {
  it('reports a returned connection as closed, as Redigo Err() does', async () => {
    const pool = new Pool({ dial: ({ signal }) => dial(redis.url, { signal }) });
    const conn = await pool.get();
    expect(conn.err()).toBeNull();
    await conn.close();
    const error = conn.err();
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ERR_CLOSED' });
    expect(error?.message).toMatch(/returned to the pool/);
    await pool.close();
  });
});
