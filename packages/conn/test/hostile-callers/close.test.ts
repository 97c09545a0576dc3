import { getEventListeners } from 'node:events';
import { type FakeServer, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: close() is graceful and bounded, leaves nothing behind, and validates its options.
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const activeTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('close(options)', () => {
  it('close({ timeoutMs }) leaves no timer keeping the process alive once it has closed', async () => {
    const conns = await Promise.all([dial(redis.url), dial(redis.url), dial(redis.url)]);
    await Promise.all(conns.map((conn) => conn.do('PING')));
    await sleep(20);
    const before = activeTimers();
    for (const conn of conns) {
      const pending = conn.do('DEBUG', 'SLEEP', 0.02); // in flight, so close() must wait
      await conn.close({ timeoutMs: 60_000 });
      expect(await pending).toBe('OK');
    }
    await sleep(20);
    const after = activeTimers();
    // Each close({ timeoutMs: 60_000 }) above has finished; none should leave a 60 s timer.
    expect(after - before).toBeLessThanOrEqual(0);
  });

  it('close({ signal }) removes its abort listener once it has closed', async () => {
    const controller = new AbortController();
    const conn = await dial(redis.url);
    const pending = conn.do('DEBUG', 'SLEEP', 0.05);
    await conn.close({ signal: controller.signal });
    await pending;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('close({ timeoutMs: -1 }) rejects with RangeError instead of aborting what is in flight', async () => {
    const conn = await dial(redis.url);
    const pending = conn.do('DEBUG', 'SLEEP', 0.1).catch((error: unknown) => error);
    const closing = await within(conn.close({ timeoutMs: -1 }), 2_000);
    const outcome = await pending;
    conn.destroy();
    // Bad options are refused "before anything is sent" everywhere else in the API.
    expect(outcome).toBe('OK');
    expect(closing.status).toBe('rejected');
    expect(closing.status === 'rejected' && closing.error).toBeInstanceOf(RangeError);
  });
});

describe('close() under backpressure (what holds)', () => {
  it('writes queued commands once the server reads again and resolves each with its reply', async () => {
    fake = await startFakeServer({
      onConnection: (connection) => {
        connection.socket.pause();
        setTimeout(() => connection.socket.resume(), 300);
      },
    });
    const conn = await dial(fake.url);
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    const calls = Array.from({ length: 16 }, (_, index) => conn.do('SET', `k${index}`, big));
    conn.send('ECHO', 'unflushed');
    const closing = within(conn.close(), 5_000);
    const outcomes = await Promise.all(calls.map((call) => within(call, 5_000)));
    expect(outcomes.every((o) => o.status === 'resolved' && o.value === 'OK')).toBe(true);
    expect((await closing).status).toBe('resolved');
    expect(text(await conn.receive())).toBe('OK'); // the fake answers OK to ECHO
    await expect(conn.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED', sent: false });
  });

  it('close() with a RESP2 receive() waiting on a subscriber settles at once', async () => {
    const conn = await dial(redis.url);
    conn.send('SUBSCRIBE', 'adv:close-sub');
    await conn.flush();
    await conn.receive();
    const waiting = conn.receive().catch((error: unknown) => error);
    const closing = await within(conn.close(), 1_000);
    expect(closing.status).toBe('resolved');
    expect(await waiting).toBeInstanceOf(ConnectionError);
  });
});
