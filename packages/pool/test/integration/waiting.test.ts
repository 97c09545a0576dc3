import { type Conn, dial, TimeoutError } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { Pool, PoolClosedError } from '../../src/index.js';

const redis = useRedisServer();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('wait statistics', () => {
  it('counts a wait and its duration when it ends with a connection, not when it starts', async () => {
    const pool = new Pool({
      maxActive: 1,
      wait: true,
      dial: ({ signal }) => dial(redis.url, { signal }),
    });
    const held = await pool.get();
    const waiters = Array.from({ length: 10 }, () => pool.get());
    const givingUp = pool.get({ timeoutMs: 20 }).catch((error: unknown) => error);
    await sleep(50);
    expect(await givingUp).toBeInstanceOf(TimeoutError);
    expect(pool.stats()).toMatchObject({ waitingCount: 10, waitCount: 0, waitDurationMs: 0 });
    await held.close();
    for (const waiting of waiters) await (await waiting).close();
    const stats = pool.stats();
    // The one that gave up is not counted, as in Redigo.
    expect(stats.waitCount).toBe(10);
    expect(stats.waitDurationMs).toBeGreaterThanOrEqual(10 * 40);
    await pool.close();
  });
});

describe('get takes CallOptions', () => {
  it('rejects a waiter with TimeoutError after timeoutMs and serves the next one', async () => {
    const pool = new Pool({
      maxActive: 1,
      wait: true,
      dial: ({ signal }) => dial(redis.url, { signal }),
    });
    const held = await pool.get();
    const startedMs = performance.now();
    await expect(pool.get({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - startedMs).toBeLessThan(1_000);
    expect(pool.stats().waitingCount).toBe(0);
    const patient = pool.use((conn) => conn.do('PING'), { timeoutMs: 2_000 });
    await held.close();
    expect(await patient).toBe('PONG');
    await pool.close();
  });

  it('refuses bad options', async () => {
    const pool = new Pool({ dial: ({ signal }) => dial(redis.url, { signal }) });
    await expect(pool.get({ timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await pool.close();
  });
});

describe('the dial signal', () => {
  /** A dial that finishes only when its signal aborts it, recording each signal. */
  function hangingDial(signals: AbortSignal[]) {
    return ({ signal }: { signal: AbortSignal }) => {
      signals.push(signal);
      return new Promise<Conn>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    };
  }

  it('is always given, and aborts when the caller times out', async () => {
    const signals: AbortSignal[] = [];
    const pool = new Pool({ dial: hangingDial(signals) });
    await expect(pool.get({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    expect(signals[0]?.aborted).toBe(true);
    expect(pool.stats().activeCount).toBe(0);
    await pool.close();
  });

  it('aborts when the pool closes, also for a caller without options', async () => {
    const signals: AbortSignal[] = [];
    const pool = new Pool({ dial: hangingDial(signals) });
    const getting = pool.get().catch((error: unknown) => error);
    await expect.poll(() => signals.length).toBe(1);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    await pool.close();
    expect(signals[0]!.aborted).toBe(true);
    expect(await getting).toBeInstanceOf(PoolClosedError);
    expect(pool.stats().activeCount).toBe(0);
  });

  it('a dial that ignores the signal still lets a timed-out caller go at once; its connection is kept', async () => {
    const pool = new Pool({
      dial: async () => {
        await sleep(150);
        return dial(redis.url);
      },
    });
    const startedMs = performance.now();
    await expect(pool.get({ timeoutMs: 30 })).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - startedMs).toBeLessThan(120);
    await expect.poll(() => pool.stats().idleCount).toBe(1);
    expect(pool.stats().activeCount).toBe(1);
    await pool.close();
  });
});

describe('the public API', () => {
  it('no longer offers release or ConnectionState', async () => {
    const exported = await import('../../src/index.js');
    expect(Object.keys(exported).sort()).toEqual([
      'Pool',
      'PoolClosedError',
      'PoolExhaustedError',
      'PooledConn',
    ]);
    const pool = new Pool({ dial: ({ signal }) => dial(redis.url, { signal }) });
    expect('release' in pool).toBe(false);
    await pool.close();
  });
});
