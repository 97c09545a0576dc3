// Review 19c. A script call's caller hears back only after the fence PING sent behind it is
// answered (client.ts #afterFence), and exclusive() only after its round trip on the shared
// connection (#cacheSeesOtherWrites). Neither wait is covered by the call's own limits: the
// request's timeoutMs and signal are disarmed when the script's reply arrives, and exclusive()'s
// options bound only the loan. A server (or network) that stalls after the script's reply holds
// the caller until readTimeoutMs (5 s by default; never with readTimeoutMs 0 until the keep-alive
// gives up) - 25x a timeoutMs of 200 ms - and then resolves it with the script's reply.
// README: "A call's own timeoutMs or signal ends its wait"; doWith's timeoutMs is "the whole
// call: waiting, sending and retries"; exclusive's "signal and timeoutMs bound the whole loan".
import { setTimeout as sleep } from 'node:timers/promises';
import { dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { fakeClient, startFakeTracking } from './fake-tracking.js';

/** How long `promise` took to settle, capped at `capMs`. */
async function settlesIn(promise: Promise<unknown>, capMs: number): Promise<number> {
  const started = performance.now();
  await Promise.race([promise.catch(() => {}), sleep(capMs)]);
  return performance.now() - started;
}

describe('a script call with a cache holding something, the server stalling after its reply', () => {
  it('settles within its timeoutMs', async () => {
    const server = await startFakeTracking();
    const client = fakeClient(server);
    server.values.set('k', 'v1');
    await client.cache.do('GET', 'k');
    server.afterEval = (connection) => server.stalled.add(connection);
    const call = client.doWith({ timeoutMs: 200 }, 'EVAL', 'redis.call(...)', 0);
    // Fails: about 5,000 ms (readTimeoutMs), and then it resolves with 'OK'.
    expect(await settlesIn(call, 3_000)).toBeLessThan(1_000);
  });

  it('settles when its signal aborts', async () => {
    const server = await startFakeTracking();
    const client = fakeClient(server);
    server.values.set('k', 'v1');
    await client.cache.do('GET', 'k');
    server.afterEval = (connection) => server.stalled.add(connection);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 200);
    const call = client.doWith({ signal: controller.signal }, 'EVAL', 'redis.call(...)', 0);
    // Fails: about 5,000 ms.
    expect(await settlesIn(call, 3_000)).toBeLessThan(1_000);
  });
});

describe('exclusive() with a cache holding something, the shared connection slow', () => {
  const redis = useRedisServer();

  it('settles within its timeoutMs (a real server busy for 1.5 s after the work ended)', async () => {
    const client = createClient(redis.url, { protocol: 3, cache: {} });
    const other = await dial(redis.url);
    try {
      await client.do('SET', 'k', 'v1');
      await client.cache.do('GET', 'k');
      const loan = client.exclusive(
        async (conn) => {
          await conn.do('SET', 'elsewhere', '1');
          // The server becomes busy (another client's slow command) just as the work ends.
          void other.do('DEBUG', 'SLEEP', '1.5');
          await sleep(50);
          return 'done';
        },
        { timeoutMs: 300 },
      );
      // Fails: about 1,500 ms, and then it resolves with 'done'.
      expect(await settlesIn(loan, 3_000)).toBeLessThan(700);
    } finally {
      client.destroy();
      await other.close();
    }
  });
});
