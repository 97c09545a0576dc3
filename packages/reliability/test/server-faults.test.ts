import { ConnectionError, DEFAULT_READ_TIMEOUT_MS, dial, TimeoutError } from '@x/conn';
import { Pool } from '@x/pool';
import { ReplyError } from '@x/resp';
import { startRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { recordFigure } from './figures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kill -9 with commands in flight', () => {
  it('settles every promise with ConnectionError, and the pool recovers on the same port', async () => {
    const server = await startRedisServer();
    const conn = await dial(server.url);
    const pool = new Pool({ dial: () => dial(server.url), maxActive: 4, wait: true });
    await pool.do('PING');
    const inFlight = 10_000;
    // BLPOP holds the line so every command behind it is still in flight when the server dies.
    const blocked = conn.do('BLPOP', 'never', 0).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const calls = Array.from({ length: inFlight }, (_, index) =>
      conn.do('SET', `k${index}`, index).then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    );
    await sleep(50);
    await server.restart('SIGKILL');
    const outcomes = [await blocked, ...(await Promise.all(calls))];
    const connectionErrors = outcomes.filter((outcome) => ConnectionError.is(outcome)).length;
    expect(connectionErrors).toBe(inFlight + 1);
    await expect(conn.do('PING')).rejects.toBeInstanceOf(ConnectionError);
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = (await pool.do('PING').catch(() => null)) === 'PONG';
    }
    expect(recovered).toBe(true);
    recordFigure('kill -9 with commands in flight', {
      inFlight: inFlight + 1,
      settled: outcomes.length,
      connectionErrors,
      hung: inFlight + 1 - outcomes.length,
    });
    await pool.close();
    await server.stop();
  });
});

describe('SIGSTOP then SIGCONT', () => {
  it('fires time limits while the server is stopped, and later replies stay in step', async () => {
    const server = await startRedisServer();
    const conn = await dial(server.url);
    process.kill(server.pid, 'SIGSTOP');
    const timedOut = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        conn.doWithTimeout(100, 'ECHO', `stalled-${index}`).catch((error: unknown) => error),
      ),
    );
    expect(timedOut.every((outcome) => TimeoutError.is(outcome))).toBe(true);
    process.kill(server.pid, 'SIGCONT');
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, index) => conn.do('ECHO', `after-${index}`)),
    );
    expect(replies.map(String)).toEqual(replies.map((_, index) => `after-${index}`));
    recordFigure('SIGSTOP/SIGCONT', {
      timedOut: timedOut.length,
      laterRepliesInStep: replies.length,
    });
    await conn.close();
    await server.stop();
  });
});

describe('a hung server with default options', () => {
  it('settles every call within the documented read deadline, blocking ones after their own timeout', async () => {
    const server = await startRedisServer();
    const conn = await dial(server.url);
    const blockingConn = await dial(server.url);
    process.kill(server.pid, 'SIGSTOP');
    const started = Date.now();
    const waited = (call: Promise<unknown>) =>
      call.then(
        () => Number.NaN,
        (error: unknown) => (ConnectionError.is(error) ? Date.now() - started : Number.NaN),
      );
    try {
      const plain = Array.from({ length: 100 }, (_, index) => waited(conn.do('ECHO', index)));
      const blocking = waited(blockingConn.do('BLPOP', 'never', 1));
      const plainMs = await Promise.all(plain);
      const blockingMs = await blocking;
      expect(plainMs.every((ms) => ms >= DEFAULT_READ_TIMEOUT_MS - 50)).toBe(true);
      expect(Math.max(...plainMs)).toBeLessThan(DEFAULT_READ_TIMEOUT_MS + 1_000);
      expect(blockingMs).toBeGreaterThanOrEqual(DEFAULT_READ_TIMEOUT_MS + 1_000 - 50);
      expect(blockingMs).toBeLessThan(DEFAULT_READ_TIMEOUT_MS + 2_000);
      recordFigure('hung server, defaults', {
        calls: plainMs.length,
        settledWithConnectionError: plainMs.filter((ms) => !Number.isNaN(ms)).length,
        fastestMs: Math.min(...plainMs),
        slowestMs: Math.max(...plainMs),
        blpop1sSettledMs: blockingMs,
      });
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });
});

describe('server-side interruptions', () => {
  it('survives CLIENT KILL of a pooled connection', async () => {
    const server = await startRedisServer();
    const pool = new Pool({
      dial: () => dial(server.url, { clientName: 'pooled' }),
      maxActive: 2,
      wait: true,
    });
    await Promise.all([pool.do('PING'), pool.do('PING')]);
    const admin = await dial(server.url);
    await admin.do('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await sleep(20);
    const results = await Promise.all(Array.from({ length: 20 }, () => pool.do('PING')));
    expect(results.every((reply) => reply === 'PONG')).toBe(true);
    expect(pool.stats().discardCount).toBeGreaterThanOrEqual(2);
    await admin.close();
    await pool.close();
    await server.stop();
  });

  it('times out during DEBUG SLEEP and CLIENT PAUSE, then carries on', async () => {
    const server = await startRedisServer();
    const conn = await dial(server.url);
    const admin = await dial(server.url);
    const sleeping = admin.do('DEBUG', 'SLEEP', 0.3);
    await expect(conn.doWithTimeout(50, 'PING')).rejects.toBeInstanceOf(TimeoutError);
    await sleeping;
    expect(await conn.do('PING')).toBe('PONG');
    await admin.do('CLIENT', 'PAUSE', 300, 'ALL');
    await expect(conn.doWithTimeout(50, 'SET', 'paused', 1)).rejects.toBeInstanceOf(TimeoutError);
    expect(await conn.doWith({ timeoutMs: 2_000 }, 'ECHO', 'after pause')).toEqual(
      Buffer.from('after pause'),
    );
    await Promise.all([conn.close(), admin.close()]);
    await server.stop();
  });

  it('gives a clear error when maxclients is reached', async () => {
    const server = await startRedisServer({ args: ['--maxclients', '1'] });
    const first = await dial(server.url);
    const second = await dial(server.url);
    const failure = await second.do('PING').catch((error: unknown) => error);
    expect(String((failure as Error).message)).toMatch(/max number of clients reached/);
    expect(await first.do('PING')).toBe('PONG');
    await Promise.all([first.close(), second.close()]);
    await server.stop();
  });
});

describe('soak: mixed commands through a pool with periodic server kills', () => {
  const seconds = Number(process.env.SOAK_SECONDS ?? 6);

  it(`loses no acknowledged write and leaks nothing (${seconds} s)`, async () => {
    // appendfsync always: a write the server acknowledged is on disk before the kill.
    const server = await startRedisServer({
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    const handlesBefore = activeHandles();
    const pool = new Pool({
      dial: () => dial(server.url, { connectTimeoutMs: 1_000 }),
      maxActive: 8,
      wait: true,
    });
    // Each acknowledged key maps to the values it may hold: the acknowledged one, plus any later
    // write whose reply was lost (the server may have applied it just before dying).
    const acknowledged = new Map<string, Set<string>>();
    let operations = 0;
    let failures = 0;
    let kills = 0;
    const deadline = Date.now() + seconds * 1_000;
    const worker = async (id: number) => {
      for (let index = 0; Date.now() < deadline; index++) {
        const key = `soak:${id}:${index % 500}`;
        const value = `${id}-${index}`;
        try {
          const reply = await pool.do('SET', key, value).catch((error: unknown) => {
            acknowledged.get(key)?.add(value);
            throw error;
          });
          if (reply === 'OK') acknowledged.set(key, new Set([value]));
          await pool.use(async (conn) => {
            await conn.do('INCR', `soak:counter:${id}`);
            await conn.do('GET', key);
          });
          operations += 3;
        } catch (error) {
          // Expected while the server is down or reloading its data: the connection drops, a
          // dial fails, or the restarted server answers LOADING until its data is back.
          const transient =
            ConnectionError.is(error) ||
            (ReplyError.is(error) && error.code === 'LOADING') ||
            (error instanceof Error && /connect/.test(error.message));
          if (!transient) throw error;
          failures++;
          await sleep(10);
        }
      }
    };
    const killer = (async () => {
      while (Date.now() < deadline - 1_000) {
        await sleep(1_500);
        await server.restart('SIGKILL');
        kills++;
      }
    })();
    await Promise.all([...Array.from({ length: 8 }, (_, id) => worker(id)), killer]);

    const checker = await dial(server.url);
    let lost = 0;
    for (const [key, possible] of acknowledged) {
      if (!possible.has(String(await checker.do('GET', key)))) lost++;
    }
    await checker.close();
    await pool.close();
    await sleep(50);
    const handlesAfter = activeHandles();
    recordFigure('soak', {
      seconds,
      operations,
      failures,
      kills,
      acknowledgedKeysChecked: acknowledged.size,
      lost,
      handlesBefore,
      handlesAfter,
    });
    expect(kills).toBeGreaterThan(0);
    expect(lost).toBe(0);
    expect(handlesAfter).toBeLessThanOrEqual(handlesBefore);
    await server.stop();
  });
});

/** Open sockets and timers of this process. */
function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}
