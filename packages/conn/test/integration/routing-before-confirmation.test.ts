import { ReplyError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, dial } from '../../src/index.js';

// The connection enters pub/sub or MONITOR when the server confirms it, not when the command is
// written: a command that runs before the confirmation gets its reply, whatever it looks like.
const redis = useRedisServer();
let admin: Connection;
beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

const key = (name: string) => `confirm:${name}:${Math.random().toString(36).slice(2)}`;
const text = (reply: unknown): unknown =>
  Array.isArray(reply) ? reply.map(text) : Buffer.isBuffer(reply) ? reply.toString() : reply;

describe('RESP2: commands written before SUBSCRIBE in the same batch', () => {
  it.each([
    ['a pub/sub message', ['message', 'chan', 'payload']],
    ['a subscribe confirmation', ['subscribe', 'news', '1']],
    ['a pattern message', ['pmessage', 'n*', 'news', 'payload']],
  ])('LRANGE whose items look like %s gets them; SUBSCRIBE is confirmed', async (_, items) => {
    const list = key('list');
    await admin.do('RPUSH', list, ...items);
    const conn = await dial(redis.url, { readTimeoutMs: 2_000 });
    const range = conn.do('LRANGE', list, 0, -1);
    const subscribed = conn.do('SUBSCRIBE', 'news');
    expect(text(await range)).toEqual(items);
    expect(await subscribed).toBeNull();
    // Only the confirmation is in the owner's stream: nothing of LRANGE went there.
    expect(text(await conn.receive())).toEqual(['subscribe', 'news', 1]);
    expect(conn.bufferedReplies).toBe(0);
    expect(conn.err()).toBeNull();
    conn.destroy();
  });
});

describe('MONITOR written in the same batch as a command before it', () => {
  it('GET of a value shaped like a monitor line gets the value; MONITOR gets OK', async () => {
    const name = key('monitor-like');
    const line = '1700000000.123456 [0 127.0.0.1:50000] "GET" "x"';
    await admin.do('SET', name, line);
    const conn = await dial(redis.url, { decoder: { bulkStringsAs: 'string' } });
    const value = conn.do('GET', name);
    const monitor = conn.do('MONITOR');
    expect(await value).toBe(line);
    expect(await monitor).toBe('OK');
    expect(conn.err()).toBeNull();
    conn.destroy();
  });
});

describe('a command refused inside MULTI (UNSUBSCRIBE without names)', () => {
  it('do(EXEC) after send: rejects, and the server is not left inside MULTI', async () => {
    const conn = await dial(redis.url);
    const name = key('after');
    conn.send('MULTI');
    conn.send('SET', name, 'in-transaction');
    conn.send('UNSUBSCRIBE');
    const failure = await conn.do('EXEC').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toMatch(/UNSUBSCRIBE inside MULTI must name its channels/);
    // The transaction was discarded, as the server discards one with a command it refused.
    expect(await conn.do('SET', name, 'after')).toBe('OK');
    expect(text(await conn.do('GET', name))).toBe('after');
    conn.destroy();
  });

  it.each([2, 3] as const)('RESP%i: receive() gets every reply in order', async (protocol) => {
    const conn = await dial(redis.url, { protocol });
    conn.send('MULTI');
    conn.send('UNSUBSCRIBE');
    conn.send('EXEC');
    conn.send('PING');
    await conn.flush();
    const outcomes: unknown[] = [];
    for (let index = 0; index < 4; index++) {
      outcomes.push(
        await conn.receive().then(
          (reply) => text(reply),
          (error: Error) => `${error.name}: ${error.message.split(':')[0]}`,
        ),
      );
    }
    expect(outcomes).toEqual([
      'OK',
      'TypeError: UNSUBSCRIBE inside MULTI must name its channels',
      'ReplyError: EXECABORT Transaction discarded because of previous errors.',
      'PONG',
    ]);
    expect(conn.err()).toBeNull();
    conn.destroy();
  });

  it('nothing queued in the refused transaction runs', async () => {
    const conn = await dial(redis.url);
    const name = key('never');
    const pipeline = conn.pipeline();
    pipeline.send('MULTI');
    pipeline.send('SET', name, 'must-not-run');
    pipeline.send('UNSUBSCRIBE');
    pipeline.send('EXEC');
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => pipeline.receive()));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    const exec = outcomes[3] as PromiseRejectedResult;
    expect(exec.reason).toBeInstanceOf(ReplyError);
    expect((exec.reason as ReplyError).code).toBe('EXECABORT');
    expect(await conn.do('EXISTS', name)).toBe(0);
    conn.destroy();
  });
});
