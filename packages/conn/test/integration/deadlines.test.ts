import {
  captureProcessFaults,
  type FakeServer,
  startFakeServer,
  startRedisServer,
  useRedisServer,
} from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, DEFAULT_READ_TIMEOUT_MS, dial, TimeoutError } from '../../src/index.js';

// No call stays pending for ever with default options; time limits never crash the process.
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const settleTimes = async (calls: Promise<unknown>[]) => {
  const started = Date.now();
  const outcomes = await Promise.all(
    calls.map((call) =>
      call.then(
        () => ({ ok: true, ms: Date.now() - started, error: undefined as unknown }),
        (error: unknown) => ({ ok: false, ms: Date.now() - started, error }),
      ),
    ),
  );
  return outcomes;
};

/** Every call failed with ConnectionError caused by a time-out, the slowest about readTimeoutMs in. */
function expectTimedOutNearDefault(outcomes: Awaited<ReturnType<typeof settleTimes>>): void {
  expect(outcomes.every((outcome) => ConnectionError.is(outcome.error))).toBe(true);
  expect((outcomes[0]?.error as Error | undefined)?.cause).toBeInstanceOf(TimeoutError);
  const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
  expect(slowest).toBeGreaterThanOrEqual(DEFAULT_READ_TIMEOUT_MS - 50);
  expect(slowest).toBeLessThan(DEFAULT_READ_TIMEOUT_MS + 1_500);
}

describe('a time limit after send', () => {
  it('rejects the call, keeps the process up and later replies in step', async () => {
    const conn = await dial(redis.url);
    const sleeper = await dial(redis.url);
    const sleeping = sleeper.do('DEBUG', 'SLEEP', 0.5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const unhandled = captureProcessFaults();
    conn.send('SET', 'after-send', 'v');
    const failure = await conn.doWith({ timeoutMs: 100 }, 'GET', 'after-send').catch((e) => e);
    expect(failure).toBeInstanceOf(TimeoutError);
    await sleeping;
    expect(await unhandled.stop()).toEqual([]);
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, index) => conn.do('ECHO', `next-${index}`)),
    );
    expect(replies.map(String)).toEqual(replies.map((_, index) => `next-${index}`));
    await Promise.all([conn.close(), sleeper.close()]);
  });
});

describe('a server that stops answering', () => {
  it('settles 100 calls with defaults within the read deadline when the process is stopped', async () => {
    const server = await startRedisServer();
    try {
      const conn = await dial(server.url);
      const probed = await dial(server.url, { keepAlivePingMs: 200 });
      process.kill(server.pid, 'SIGSTOP');
      const outcomes = await settleTimes(
        Array.from({ length: 200 }, (_, index) =>
          (index % 2 === 0 ? conn : probed).do('ECHO', `stopped-${index}`),
        ),
      );
      expectTimedOutNearDefault(outcomes);
      expect((outcomes[0]?.error as ConnectionError | undefined)?.sent).toBe(true);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });

  it('settles calls to a peer that vanished without a FIN within the default readTimeoutMs', async () => {
    // The fake server reads commands and never answers: what a dead peer looks like.
    fake = await startFakeServer({ onCommand: () => undefined });
    const conn = await dial(fake.url);
    const outcomes = await settleTimes(
      Array.from({ length: 100 }, (_, index) => conn.do('GET', `k${index}`)),
    );
    expect(outcomes.every((outcome) => ConnectionError.is(outcome.error))).toBe(true);
    const times = outcomes.map((outcome) => outcome.ms);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(DEFAULT_READ_TIMEOUT_MS - 50);
    expect(Math.max(...times)).toBeLessThan(DEFAULT_READ_TIMEOUT_MS + 1_500);
  });

  it('settles, with defaults, calls stuck behind a write the stopped server never takes', async () => {
    const server = await startRedisServer();
    try {
      const large = await dial(server.url);
      const burst = await dial(server.url);
      process.kill(server.pid, 'SIGSTOP');
      // 32 MiB in one argument, and 20,000 commands of 1 KiB: both fill the socket buffers.
      const calls = [
        large.do('SET', 'large', Buffer.alloc(32 * 1024 * 1024, 1)),
        large.do('PING'),
        ...Array.from({ length: 20_000 }, (_, index) =>
          burst.do('SET', `burst:${index}`, Buffer.alloc(1024, 2)),
        ),
      ];
      const outcomes = await settleTimes(calls);
      expectTimedOutNearDefault(outcomes);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });

  it('finds a dead peer on an idle connection with the keep-alive PING', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const conn = await dial(fake.url, { keepAlivePingMs: 100, readTimeoutMs: 0 });
    const started = Date.now();
    await conn.closed;
    expect(conn.err()?.message).toMatch(/keep-alive PING/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives a blocking command its own timeout plus the margin, and 0 no deadline', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 300 });
    const started = Date.now();
    expect(await conn.do('BLPOP', 'never-filled', 0.6)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(await conn.do('XREAD', 'BLOCK', 600, 'STREAMS', 'never-stream', '$')).toBeNull();
    const forever = conn.do('BLPOP', 'filled-late', 0);
    await new Promise((resolve) => setTimeout(resolve, 900));
    const pusher = await dial(redis.url);
    await pusher.do('RPUSH', 'filled-late', 'at-last');
    expect(await forever).toEqual([Buffer.from('filled-late'), Buffer.from('at-last')]);
    await Promise.all([conn.close(), pusher.close()]);
  });

  it('reads a timeout the way the server does, or gives no deadline: 0x1p-1, BLOCK before GROUP', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 200 });
    await conn.do('XGROUP', 'CREATE', 'order-stream', 'g', '$', 'MKSTREAM');
    const started = Date.now();
    // strtold reads 0x1p-1 as 0.5 s; a parser that cannot must not time the connection out.
    expect(await conn.do('BLPOP', 'never-filled', '0x1p-1')).toBeNull();
    expect(
      await conn.do('XREADGROUP', 'BLOCK', 500, 'GROUP', 'g', 'c', 'STREAMS', 'order-stream', '>'),
    ).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(conn.err()).toBeNull();
    await conn.close();
  });
});

describe('time-limit values', () => {
  it('treats Infinity and 30 days as long limits, not 1 ms', async () => {
    const conn = await dial(redis.url);
    const thirtyDays = 30 * 24 * 60 * 60 * 1000;
    expect(await conn.doWith({ timeoutMs: Number.POSITIVE_INFINITY }, 'PING')).toBe('PONG');
    const slow = await dial(redis.url);
    const sleeping = slow.do('DEBUG', 'SLEEP', 0.05);
    expect(await conn.doWith({ timeoutMs: thirtyDays }, 'PING')).toBe('PONG');
    expect(await conn.receiveWith({ timeoutMs: thirtyDays }).catch((e) => e.code)).toBe(
      'ERR_NOTHING_PENDING',
    );
    await sleeping;
    await Promise.all([conn.close(), slow.close()]);
  });

  it('accepts readTimeoutMs: Infinity as no deadline', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: Number.POSITIVE_INFINITY });
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });

  it('refuses bad values with a clear error through the promise', async () => {
    const conn = await dial(redis.url);
    await expect(conn.doWith({ timeoutMs: -1 }, 'PING')).rejects.toBeInstanceOf(RangeError);
    await expect(conn.doWith({ timeoutMs: Number.NaN }, 'PING')).rejects.toBeInstanceOf(TypeError);
    await expect(
      conn.doWith({ timeoutMs: '100' as unknown as number }, 'PING'),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(conn.receiveWith({ timeoutMs: -5 })).rejects.toBeInstanceOf(RangeError);
    expect(await conn.do('PING')).toBe('PONG');
    for (const options of [
      { readTimeoutMs: -1 },
      { readTimeoutMs: Number.NaN },
      { connectTimeoutMs: -1 },
      { keepAlivePingMs: -1 },
      { maxBufferedReplies: 0 },
      { maxArgBytes: 1.5 },
      { port: 70_000 },
      { database: -1 },
    ]) {
      await expect(dial(redis.url, options)).rejects.toThrow(/must be/);
    }
    await conn.close();
  });
});
