import type { RedisError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, ConnectionError, dial, TimeoutError } from '../../src/index.js';

const redis = useRedisServer();
let conn: Connection;

beforeAll(async () => {
  conn = await dial(redis.url);
});
afterAll(() => conn?.close());

const text = (value: string) => Buffer.from(value);

async function commandCalls(name: string): Promise<number> {
  const stats = String(await conn.do('INFO', 'commandstats'));
  const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats);
  return match ? Number(match[1]) : 0;
}

describe('per-call time limits and signals', () => {
  it('rejects at once with TimeoutError and keeps later replies in step', async () => {
    const started = Date.now();
    const slow = conn.doWithTimeout(50, 'DEBUG', 'SLEEP', 0.3).catch((error: unknown) => error);
    const next = conn.do('ECHO', 'after');
    const failure = await slow;
    expect(failure).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(250);
    expect(await next).toEqual(text('after'));
    expect(conn.err()).toBeNull();
  });

  it('rejects with the signal reason when aborted after the write', async () => {
    const controller = new AbortController();
    const slow = conn
      .doWith({ signal: controller.signal }, 'DEBUG', 'SLEEP', 0.2)
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error('user gave up'));
    expect(await slow).toMatchObject({ message: 'user gave up' });
    expect(await conn.do('ECHO', 'in step')).toEqual(text('in step'));
  });

  it('never sends a command aborted before it was written', async () => {
    const before = await commandCalls('incr');
    const already = AbortSignal.abort(new Error('already aborted'));
    await expect(conn.doWith({ signal: already }, 'INCR', 'never')).rejects.toThrow(
      'already aborted',
    );
    const controller = new AbortController();
    const queued = conn.doWith({ signal: controller.signal }, 'INCR', 'never');
    controller.abort(new Error('aborted in the same tick'));
    await expect(queued).rejects.toThrow('aborted in the same tick');
    expect(await conn.do('GET', 'never')).toBeNull();
    expect(await commandCalls('incr')).toBe(before);
  });

  it('times out a receive without consuming the reply of a pending send', async () => {
    const owner = await dial(redis.url);
    const key = `late:${Math.random()}`;
    owner.send('BLPOP', key, 5);
    owner.send('ECHO', 'after');
    await owner.flush();
    await expect(owner.receiveWithTimeout(30)).rejects.toBeInstanceOf(TimeoutError);
    await expect(owner.receiveWith({ signal: AbortSignal.timeout(30) })).rejects.toThrow();
    await conn.do('RPUSH', key, 'late');
    expect(await owner.receive()).toEqual([text(key), text('late')]);
    expect(await owner.receive()).toEqual(text('after'));
    await owner.close();
  });

  it('rejects a receive at once when nothing can arrive', async () => {
    const owner = await dial(redis.url);
    const failure = await owner.receiveWithTimeout(30_000).catch((error: unknown) => error);
    expect((failure as RedisError).code).toBe('ERR_NOTHING_PENDING');
    owner.send('ECHO', 'later');
    expect(await owner.receive()).toEqual(text('later'));
    await owner.close();
  });
});

describe('connection-wide time limits', () => {
  it('fails the connection when a reply does not come within readTimeoutMs', async () => {
    const strict = await dial(redis.url, { readTimeoutMs: 100 });
    const failure = await strict.do('DEBUG', 'SLEEP', 0.5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).cause).toBeInstanceOf(TimeoutError);
    expect((failure as ConnectionError).sent).toBe(true);
    const later = await strict.do('PING').catch((error: unknown) => error);
    expect(later).toBe(strict.err());
    expect(later).toMatchObject({ message: (failure as Error).message, sent: false });
    // DEBUG SLEEP blocks the whole server: wait it out before the next test.
    expect(await conn.do('PING')).toBe('PONG');
  });

  it('does not time out an idle connection', async () => {
    const idle = await dial(redis.url, { readTimeoutMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await idle.do('PING')).toBe('PONG');
    await idle.close();
  });

  it('times out a connect that the signal aborts', async () => {
    await expect(dial(redis.url, { signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow(
      'no',
    );
  });
});

describe('large data and bursts', () => {
  it('round-trips a 100 MiB value', async () => {
    const value = Buffer.alloc(100 * 1024 * 1024, 'v');
    value.write('start', 0);
    value.write('end', value.length - 3);
    expect(await conn.do('SET', 'huge', value)).toBe('OK');
    expect(await conn.do('STRLEN', 'huge')).toBe(value.length);
    const received = (await conn.do('GET', 'huge')) as Buffer;
    expect(received.length).toBe(value.length);
    expect(received.equals(value)).toBe(true);
    await conn.do('DEL', 'huge');
  });

  it('completes a burst of 100,000 concurrent commands in order', async () => {
    const replies = await Promise.all(
      Array.from({ length: 100_000 }, (_, index) =>
        conn.do('INCR', 'burst').then((reply) => reply === index + 1),
      ),
    );
    expect(replies.every(Boolean)).toBe(true);
  });
});
