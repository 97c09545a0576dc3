import { RedisError } from '@x/resp';
import { startFakeServer, useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { dial, NothingPendingError, TimeoutError } from '../../src/index.js';

const redis = useRedisServer();

describe('every error conn raises is typed', () => {
  it('receive() with nothing pending rejects with a NothingPendingError', async () => {
    const conn = await dial(redis.url);
    const failure = await conn.receive().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NothingPendingError);
    expect(NothingPendingError.is(failure)).toBe(true);
    expect(failure).toBeInstanceOf(RedisError);
    expect(failure).toMatchObject({ name: 'NothingPendingError', code: 'ERR_NOTHING_PENDING' });
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });

  it("a pipeline's receive() with nothing sent rejects with a NothingPendingError", async () => {
    const conn = await dial(redis.url);
    const failure = await conn
      .pipeline()
      .receive()
      .catch((error: unknown) => error);
    expect(NothingPendingError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'ERR_NOTHING_PENDING' });
    await conn.close();
  });
});

describe('TimeoutError.is() and AbortSignal.timeout()', () => {
  it('recognises the reason of a call whose signal is AbortSignal.timeout()', async () => {
    const conn = await dial(redis.url);
    const failure = await conn
      .doWith({ signal: AbortSignal.timeout(20) }, 'BLPOP', 'typed-errors:never', 0)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DOMException);
    expect(TimeoutError.is(failure)).toBe(true);
    expect(failure instanceof TimeoutError).toBe(true);
    conn.destroy();
  });

  it('recognises the reason of a dial whose signal is AbortSignal.timeout()', async () => {
    // A server that never answers the handshake, so only the signal can end the dial.
    const silent = await startFakeServer({ onCommand: () => undefined });
    try {
      const failure = await dial(silent.url, {
        password: 'pw',
        signal: AbortSignal.timeout(20),
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DOMException);
      expect(TimeoutError.is(failure)).toBe(true);
    } finally {
      await silent.close();
    }
  });

  it('does not take an abort, or any object named TimeoutError, for a time limit', () => {
    const controller = new AbortController();
    controller.abort();
    expect(TimeoutError.is(controller.signal.reason)).toBe(false);
    expect(TimeoutError.is(new DOMException('stop', 'AbortError'))).toBe(false);
    expect(TimeoutError.is({ name: 'TimeoutError' })).toBe(false);
    expect(TimeoutError.is(Object.assign(new Error('late'), { name: 'TimeoutError' }))).toBe(false);
  });
});
