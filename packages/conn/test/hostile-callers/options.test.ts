import {
  captureProcessFaults,
  type FakeServer,
  startFakeServer,
  startRedisServer,
  useRedisServer,
} from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type CallOptions, dial, TimeoutError } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: careless callers and bad options.
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('call options of the wrong shape', () => {
  it('doWith(null) after a send: rejects (no synchronous throw) and sends nothing', async () => {
    fake = await startFakeServer();
    const conn = await dial(fake.url);
    const faults = captureProcessFaults();
    conn.send('ECHO', 'earlier');
    let thrown: unknown;
    let promise: Promise<unknown> | undefined;
    try {
      promise = conn.doWith(null as unknown as CallOptions, 'SET', 'k', 'v');
    } catch (error) {
      thrown = error;
    }
    const outcome = promise ? await within(promise, 1_000) : undefined;
    // The caller saw the call fail; the next, unrelated call goes out.
    const next = await within(conn.do('PING'), 1_000);
    await sleep(100);
    const commands = fake.connections[0]?.commands.map((command) => command[0]);
    conn.destroy();
    const processFaults = await faults.stop();
    expect({
      thrown,
      outcome: outcome?.status,
      next: next.status,
      sent: commands,
      processFaults,
    }).toEqual({
      thrown: undefined,
      outcome: 'rejected',
      next: 'resolved',
      sent: ['ECHO', 'PING'],
      processFaults: [],
    });
  });

  it('doWith(null) after a send, then destroy(): no unhandled rejection', async () => {
    fake = await startFakeServer({ onCommand: () => undefined }); // never answers
    const conn = await dial(fake.url);
    const faults = captureProcessFaults();
    conn.send('ECHO', 'earlier');
    try {
      void conn.doWith(null as unknown as CallOptions, 'SET', 'k', 'v').catch(() => {});
    } catch {
      // the careless caller's mistake surfaced synchronously
    }
    const next = conn.do('PING').catch(() => {});
    await sleep(50);
    conn.destroy(new Error('shutting down'));
    await next;
    const processFaults = await faults.stop();
    expect(processFaults).toEqual([]);
  });

  it('doWith with a signal that is not an AbortSignal rejects instead of throwing', async () => {
    const conn = await dial(redis.url);
    let thrown: unknown;
    try {
      await conn.doWith({ signal: {} as AbortSignal }, 'PING').catch((error: unknown) => error);
    } catch (error) {
      thrown = error;
    }
    await conn.close();
    expect(thrown).toBeUndefined();
  });

  it('doWith({ timeoutMs: -1 }, "") with nothing pending rejects with RangeError', async () => {
    const conn = await dial(redis.url);
    const outcome = await within(conn.doWith({ timeoutMs: -1 }, ''), 500);
    await conn.close();
    expect(outcome.status === 'rejected' && outcome.error).toBeInstanceOf(RangeError);
  });
});

describe('dial options', () => {
  it('a bad readTimeoutMs is refused before any socket is opened', async () => {
    fake = await startFakeServer();
    const failure = await dial(fake.url, { readTimeoutMs: -1 }).catch((error: unknown) => error);
    await sleep(100);
    expect(failure).toBeInstanceOf(RangeError);
    expect(fake.connections).toHaveLength(0);
  });

  it('username without password is refused rather than silently connecting as default', async () => {
    const outcome = await within(dial(redis.url, { username: 'alice' }), 2_000);
    let whoami: unknown;
    if (outcome.status === 'resolved') {
      const conn = outcome.value as Awaited<ReturnType<typeof dial>>;
      whoami = text(await conn.do('ACL', 'WHOAMI'));
      await conn.close();
    }
    expect({ status: outcome.status, whoami }).toEqual({ status: 'rejected', whoami: undefined });
  });

  it('a rediss:// URL with a socket path does not connect in plain text', async () => {
    const server = await startRedisServer({ unixSocket: true });
    try {
      const outcome = await within(
        dial('rediss://127.0.0.1:6380', { path: server.socketPath as string }),
        2_000,
      );
      if (outcome.status === 'resolved')
        (outcome.value as Awaited<ReturnType<typeof dial>>).destroy();
      expect(outcome.status).toBe('rejected');
    } finally {
      await server.stop();
    }
  });
});

describe('what holds', () => {
  it('bad arguments and bad time limits reject and send nothing', async () => {
    fake = await startFakeServer();
    const conn = await dial(fake.url);
    await expect(conn.do('GET', undefined as never)).rejects.toBeInstanceOf(TypeError);
    await expect(conn.do('GET', Number.NaN)).rejects.toBeInstanceOf(TypeError);
    await expect(conn.do('GET', {} as never)).rejects.toBeInstanceOf(TypeError);
    await expect(conn.do(42 as never)).rejects.toBeInstanceOf(TypeError);
    await expect(conn.doWith({ timeoutMs: -1 }, 'GET', 'k')).rejects.toBeInstanceOf(RangeError);
    await expect(conn.doWith({ timeoutMs: Number.NaN }, 'GET', 'k')).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(conn.receiveWith({ timeoutMs: -5 })).rejects.toBeInstanceOf(RangeError);
    expect(() => conn.send('GET', undefined as never)).toThrow(TypeError);
    const small = await dial(fake.url, { maxArgBytes: 10 });
    await expect(small.do('SET', 'k', 'é'.repeat(6))).rejects.toBeInstanceOf(RangeError);
    await sleep(50);
    expect(fake.connections[0]?.commands).toEqual([]);
    expect(fake.connections[1]?.commands).toEqual([]);
    conn.destroy();
    small.destroy();
  });

  it('Infinity and huge time limits are not 1 ms timers', async () => {
    const conn = await dial(redis.url);
    expect(await conn.doWith({ timeoutMs: Number.POSITIVE_INFINITY }, 'PING')).toBe('PONG');
    expect(await conn.doWith({ timeoutMs: Number.MAX_VALUE }, 'PING')).toBe('PONG');
    expect(await conn.doWith({ timeoutMs: 2 ** 31 + 5 }, 'PING')).toBe('PONG');
    await conn.close();
  });

  it('an already aborted signal rejects with its reason and sends nothing', async () => {
    fake = await startFakeServer();
    const conn = await dial(fake.url);
    const reason = new Error('gave up');
    await expect(conn.doWith({ signal: AbortSignal.abort(reason) }, 'GET', 'k')).rejects.toBe(
      reason,
    );
    await expect(conn.doWithTimeout(1, 'DEBUG', 'x'))
      .resolves.toBe('OK')
      .catch(() => {});
    await sleep(50);
    expect(fake.connections[0]?.commands.map((c) => c[0])).not.toContain('GET');
    conn.destroy();
  });

  it('a TimeoutError on one call leaves the connection usable', async () => {
    fake = await startFakeServer({
      onCommand: ([name]) => (name === 'SLOW' ? sleep(200).then(() => 'late') : 'OK'),
    });
    const conn = await dial(fake.url);
    await expect(conn.doWith({ timeoutMs: 50 }, 'SLOW')).rejects.toBeInstanceOf(TimeoutError);
    expect(await conn.do('FAST')).toBe('OK');
    expect(conn.err()).toBeNull();
    conn.destroy();
  });
});
