import { type Connection, ConnectionError, dial, newLoggingConn } from '@x/conn';
import { startRedisServer, useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, PoolClosedError, PoolExhaustedError, type PoolOptions } from '../../src/index.js';

const redis = useRedisServer();
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

const text = (value: string) => Buffer.from(value);
let poolNumber = 0;

/** A pool whose connections carry a name unique to it, so CLIENT LIST can count them. */
function newPool(options: Omit<PoolOptions, 'dial'> & { dial?: PoolOptions['dial'] } = {}): {
  pool: Pool;
  name: string;
} {
  const name = `pool-${++poolNumber}`;
  const pool = new Pool({ dial: () => dial(redis.url, { clientName: name }), ...options });
  return { pool, name };
}

async function serverConnections(name: string): Promise<number> {
  const list = String(await admin.do('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

const clientId = (conn: { do: Connection['do'] }) => conn.do('CLIENT', 'ID');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('limits and waiting', () => {
  it('never opens more than maxActive connections for 200 concurrent users', async () => {
    const { pool, name } = newPool({ maxActive: 5, maxIdle: 5, wait: true });
    let highest = 0;
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        pool.use(async (conn) => {
          highest = Math.max(highest, pool.stats().activeCount);
          await conn.do('INCR', 'users');
          if (index % 20 === 0) highest = Math.max(highest, await serverConnections(name));
        }),
      ),
    );
    expect(highest).toBeLessThanOrEqual(5);
    expect(await serverConnections(name)).toBeLessThanOrEqual(5);
    const stats = pool.stats();
    expect(stats.waitCount).toBeGreaterThan(0);
    expect(stats.waitDurationMs).toBeGreaterThan(0);
    expect(stats.dialCount).toBeLessThanOrEqual(5);
    await pool.close();
    await expect.poll(() => serverConnections(name)).toBe(0);
  });

  it('serves waiters in the order they came', async () => {
    const { pool } = newPool({ maxActive: 1, wait: true });
    const first = await pool.get();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((position) =>
      pool.get().then(async (conn) => {
        order.push(position);
        await conn.close();
      }),
    );
    expect(pool.stats().waitingCount).toBe(3);
    await first.close();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    await pool.close();
  });

  it('rejects at once with PoolExhaustedError when it does not wait', async () => {
    const { pool } = newPool({ maxActive: 1, wait: false });
    const held = await pool.get();
    await expect(pool.get()).rejects.toBeInstanceOf(PoolExhaustedError);
    await held.close();
    await pool.close();
  });

  it('lets an aborted waiter leave the queue', async () => {
    const { pool } = newPool({ maxActive: 1, wait: true });
    const held = await pool.get();
    const controller = new AbortController();
    const aborted = pool.get({ signal: controller.signal }).catch((error: unknown) => error);
    const patient = pool.get();
    controller.abort(new Error('changed my mind'));
    expect(await aborted).toMatchObject({ message: 'changed my mind' });
    expect(pool.stats().waitingCount).toBe(1);
    await held.close();
    const conn = await patient;
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
    await pool.close();
  });

  it('rejects waiters with PoolClosedError when the pool closes, and closes borrowed ones on return', async () => {
    const { pool, name } = newPool({ maxActive: 1, wait: true });
    const held = await pool.get();
    const waiting = pool.get().catch((error: unknown) => error);
    await pool.close();
    expect(await waiting).toBeInstanceOf(PoolClosedError);
    await expect(pool.get()).rejects.toBeInstanceOf(PoolClosedError);
    expect(await held.do('PING')).toBe('PONG');
    await held.close();
    await expect.poll(() => serverConnections(name)).toBe(0);
  });

  it('frees the slot and wakes the next waiter when a dial fails', async () => {
    let dials = 0;
    const pool = new Pool({
      maxActive: 1,
      wait: true,
      dial: async () => {
        dials++;
        if (dials === 2) throw new Error('dial failed');
        return dial(redis.url);
      },
    });
    const held = await pool.get();
    const failing = pool.get().catch((error: unknown) => error);
    const next = pool.get();
    // MONITOR leaves state the pool cannot undo, so this close frees the slot for a new dial.
    await held.do('MONITOR');
    await held.close();
    expect(await failing).toMatchObject({ message: 'dial failed' });
    const conn = await next;
    expect(await conn.do('PING')).toBe('PONG');
    expect(pool.stats()).toMatchObject({ dialCount: 3, dialErrorCount: 1, activeCount: 1 });
    await conn.close();
    await pool.close();
  });
});

describe('reuse and retirement', () => {
  it('reuses the most recently returned connection first', async () => {
    const { pool } = newPool();
    const [first, second] = await Promise.all([pool.get(), pool.get()]);
    const secondId = await clientId(second);
    await first.close();
    await second.close();
    const again = await pool.get();
    expect(await clientId(again)).toBe(secondId);
    await again.close();
    await pool.close();
  });

  it('retires connections idle longer than idleTimeoutMs', async () => {
    const { pool } = newPool({ idleTimeoutMs: 50 });
    const conn = await pool.get();
    const id = await clientId(conn);
    await conn.close();
    await sleep(80);
    const fresh = await pool.get();
    expect(await clientId(fresh)).not.toBe(id);
    await fresh.close();
    await pool.close();
  });

  it('retires connections older than maxConnLifetimeMs', async () => {
    const { pool } = newPool({ maxConnLifetimeMs: 60 });
    const conn = await pool.get();
    const id = await clientId(conn);
    await conn.close();
    const reused = await pool.get();
    expect(await clientId(reused)).toBe(id);
    await sleep(80);
    await reused.close();
    const fresh = await pool.get();
    expect(await clientId(fresh)).not.toBe(id);
    await fresh.close();
    await pool.close();
  });

  it('discards and redials when testOnBorrow fails', async () => {
    const tested: number[] = [];
    const { pool } = newPool({
      testOnBorrow: async (conn, lastUsedMs) => {
        tested.push(lastUsedMs);
        await conn.do('PING');
        if (tested.length === 1) throw new Error('stale');
      },
    });
    const conn = await pool.get();
    const id = await clientId(conn);
    await conn.close();
    const next = await pool.get();
    expect(await clientId(next)).not.toBe(id);
    expect(tested[0]).toBeLessThanOrEqual(Date.now());
    expect(pool.stats().discardCount).toBe(1);
    await next.close();
    await pool.close();
  });

  it('keeps at most maxIdle idle connections', async () => {
    const { pool, name } = newPool({ maxIdle: 2 });
    const conns = await Promise.all(Array.from({ length: 5 }, () => pool.get()));
    await Promise.all(conns.map((conn) => conn.close()));
    expect(pool.stats()).toMatchObject({ idleCount: 2, activeCount: 2 });
    await expect.poll(() => serverConnections(name)).toBe(2);
    await pool.close();
  });
});

describe('clean state on release', () => {
  it('DISCARDs an open MULTI', async () => {
    const { pool } = newPool({ maxActive: 1 });
    const conn = await pool.get();
    const id = await clientId(conn);
    conn.send('MULTI');
    conn.send('SET', 'multi-left-open', 'x');
    await conn.close();
    const next = await pool.get();
    expect(await clientId(next)).toBe(id);
    expect(await next.do('SET', 'after-multi', 'y')).toBe('OK');
    expect(await next.do('GET', 'multi-left-open')).toBeNull();
    await next.close();
    await pool.close();
  });

  it('UNWATCHes watched keys', async () => {
    const { pool } = newPool({ maxActive: 1 });
    const conn = await pool.get();
    await conn.do('WATCH', 'watched');
    await conn.close();
    await admin.do('SET', 'watched', 'changed by someone else');
    const next = await pool.get();
    next.send('MULTI');
    next.send('SET', 'tx-result', 'ok');
    expect(await next.do('EXEC')).toEqual(['OK']);
    await next.close();
    await pool.close();
  });

  it.each([2, 3] as const)(
    'unsubscribes and drains a subscribed connection (RESP%i)',
    async (protocol) => {
      const pool = new Pool({ maxActive: 1, dial: () => dial(redis.url, { protocol }) });
      const conn = await pool.get();
      const id = await clientId(conn);
      conn.send('SUBSCRIBE', 'a', 'b');
      conn.send('PSUBSCRIBE', 'p*');
      await conn.flush();
      await admin.do('PUBLISH', 'a', 'message nobody reads');
      await conn.close();
      const next = await pool.get();
      expect(await clientId(next)).toBe(id);
      expect(await next.do('PING')).toBe('PONG');
      expect(await next.do('ECHO', 'clean')).toEqual(text('clean'));
      expect(await admin.do('PUBLISH', 'a', 'after')).toBe(0);
      await next.close();
      await pool.close();
    },
  );

  it('closes a connection returned mid-MONITOR for real', async () => {
    const { pool } = newPool({ maxActive: 1 });
    const conn = await pool.get();
    const id = await clientId(conn);
    await conn.do('MONITOR');
    await conn.close();
    const next = await pool.get();
    expect(await clientId(next)).not.toBe(id);
    expect(await next.do('PING')).toBe('PONG');
    await next.close();
    await pool.close();
  });

  it.each([
    ['AUTH', ['pool-user', 'pw']],
    ['CLIENT', ['SETNAME', 'borrower-name']],
    ['READONLY', []],
  ] as const)(
    'closes a connection returned after %s %j: the next borrower inherits nothing',
    async (command, args) => {
      await admin.do('ACL', 'SETUSER', 'pool-user', 'on', '>pw', '~*', '+@all');
      const { pool } = newPool({ maxActive: 1 });
      const conn = await pool.get();
      const id = await clientId(conn);
      await conn.do(command, ...args).catch(() => {});
      await conn.close();
      const next = await pool.get();
      expect(await clientId(next)).not.toBe(id);
      expect(String(await next.do('ACL', 'WHOAMI'))).toBe('default');
      await next.close();
      await pool.close();
    },
  );

  it('destroy() reaches the connection through a logging wrapper', async () => {
    const pool = new Pool({
      dial: async ({ signal }) => newLoggingConn(await dial(redis.url, { signal }), () => {}),
      maxActive: 1,
    });
    const conn = await pool.get();
    const blocked = conn
      .do('BLPOP', 'destroyed-through-wrapper', 0)
      .catch((error: unknown) => error);
    const started = performance.now();
    await conn.destroy(new Error('work cancelled'));
    expect(ConnectionError.is(await blocked)).toBe(true);
    // At once, not after a graceful close's time limit.
    expect(performance.now() - started).toBeLessThan(1_000);
    await pool.close();
  });

  it('destroy() ends a loan at once: pending calls reject, the next borrower gets a new connection', async () => {
    const { pool } = newPool({ maxActive: 1 });
    const conn = await pool.get();
    const id = await clientId(conn);
    const blocked = conn.do('BLPOP', 'destroyed-loan', 0).catch((error: unknown) => error);
    await conn.destroy(new Error('work cancelled'));
    expect(ConnectionError.is(await blocked)).toBe(true);
    expect(((await blocked) as Error).cause).toEqual(new Error('work cancelled'));
    const next = await pool.get();
    expect(await clientId(next)).not.toBe(id);
    await next.close();
    await pool.close();
  });

  it('closes a connection returned with an unfinished reply, or broken', async () => {
    const { pool } = newPool({ maxActive: 1 });
    const conn = await pool.get();
    const id = await clientId(conn);
    const blocked = conn.do('BLPOP', 'nothing-here', 0).catch((error: unknown) => error);
    await conn.close();
    expect(await blocked).toBeInstanceOf(ConnectionError);
    const next = await pool.get();
    const nextId = await clientId(next);
    expect(nextId).not.toBe(id);
    await admin.do('CLIENT', 'KILL', 'ID', nextId as number);
    await expect.poll(() => next.err()).toBeInstanceOf(ConnectionError);
    await next.close();
    const third = await pool.get();
    expect(await third.do('PING')).toBe('PONG');
    await third.close();
    expect(pool.stats().discardCount).toBe(2);
    await pool.close();
  });

  it('makes close harmless twice and use after close an error', async () => {
    const { pool } = newPool();
    const conn = await pool.get();
    await conn.close();
    await conn.close();
    await expect(conn.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(() => conn.send('PING')).toThrow(ConnectionError);
    expect(pool.stats().idleCount).toBe(1);
    await pool.close();
  });
});

describe('use and do', () => {
  it('use releases the connection when the work throws', async () => {
    const { pool } = newPool({ maxActive: 1 });
    await expect(
      pool.use(async (conn) => {
        await conn.do('SET', 'use', 'x');
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(pool.stats()).toMatchObject({ activeCount: 1, idleCount: 1 });
    expect(await pool.do('GET', 'use')).toEqual(text('x'));
    await pool.close();
  });
});

describe('server restart', () => {
  it('loses only in-flight commands and recovers on the same port', async () => {
    const restarting = await startRedisServer();
    const pool = new Pool({ maxActive: 4, wait: true, dial: () => dial(restarting.url) });
    let failures = 0;
    let successes = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          await pool.do('INCR', 'restart-counter');
          successes++;
        } catch (error) {
          expect(ConnectionError.is(error) || (error as Error).message.includes('connect')).toBe(
            true,
          );
          failures++;
          await sleep(5);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await sleep(100);
    await restarting.restart('SIGKILL');
    const successesAfterRestart = successes;
    await expect
      .poll(() => successes - successesAfterRestart, { timeout: 5_000 })
      .toBeGreaterThan(100);
    stop = true;
    await Promise.all(workers);
    expect(failures).toBeLessThanOrEqual(50);
    expect(await pool.do('PING')).toBe('PONG');
    await pool.close();
    await restarting.stop();
  });
});

describe('signals', () => {
  it('rejects at once for a signal that is already aborted, waiting or not', async () => {
    const { pool } = newPool({ maxActive: 1, wait: true });
    const reason = new Error('already aborted');
    await expect(pool.get({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const held = await pool.get();
    await expect(pool.get({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(pool.stats().waitingCount).toBe(0);
    await held.close();
    await pool.close();
  });
});

describe('idle reaping on release', () => {
  it('closes stale idle connections when another one comes back', async () => {
    const { pool, name } = newPool({ idleTimeoutMs: 50 });
    const [first, second] = await Promise.all([pool.get(), pool.get()]);
    await first.close();
    await sleep(80);
    await second.close();
    expect(pool.stats()).toMatchObject({ idleCount: 1, activeCount: 1 });
    await expect.poll(() => serverConnections(name)).toBe(1);
    await pool.close();
  });
});
