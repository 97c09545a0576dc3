import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { dial, TimeoutError } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: send/flush/receive mixed with do, doWith, pipelines, time limits and aborts. (These held.)
const redis = useRedisServer();

describe('mixing the owner stream with shared callers', () => {
  it('a timed-out do() that collected a send drops both replies; the next send/receive stays in step', async () => {
    const conn = await dial(redis.url);
    conn.send('ECHO', 's1');
    const failure = await conn
      .doWith({ timeoutMs: 20 }, 'DEBUG', 'SLEEP', 0.1)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    conn.send('ECHO', 's2');
    expect(text(await conn.receive())).toBe('s2');
    await expect(conn.receive()).rejects.toMatchObject({ code: 'ERR_NOTHING_PENDING' });
    expect(text(await conn.do('ECHO', 'after'))).toBe('after');
    await conn.close();
  });

  it('sends, pipeline sends and do() interleaved in one tick each get their own replies', async () => {
    const conn = await dial(redis.url);
    const pipeline = conn.pipeline();
    conn.send('ECHO', 's1');
    pipeline.send('ECHO', 'p1');
    conn.send('ECHO', 's2');
    const done = conn.do('ECHO', 'd');
    pipeline.send('ECHO', 'p2');
    const others = Promise.all([conn.do('ECHO', 'x1'), conn.do('ECHO', 'x2')]);
    expect(text(await done)).toBe('d');
    expect(text(await pipeline.receiveAll())).toEqual(['p1', 'p2']);
    expect(text(await others)).toEqual(['x1', 'x2']);
    await expect(conn.receive()).rejects.toMatchObject({ code: 'ERR_NOTHING_PENDING' });
    await conn.close();
  });

  it('a receiveWith that times out takes nothing; a later receive gets the reply', async () => {
    const conn = await dial(redis.url);
    const sleeper = await dial(redis.url);
    const sleeping = sleeper.do('DEBUG', 'SLEEP', 0.15);
    await sleep(20);
    conn.send('ECHO', 'late');
    await expect(conn.receiveWith({ timeoutMs: 30 })).rejects.toBeInstanceOf(TimeoutError);
    await sleeping;
    expect(text(await conn.receive())).toBe('late');
    await Promise.all([conn.close(), sleeper.close()]);
  });

  it('an abort after the write of a pipeline-free do keeps 1,000 concurrent callers in step', async () => {
    const conn = await dial(redis.url);
    const controller = new AbortController();
    const aborted = conn
      .doWith({ signal: controller.signal }, 'DEBUG', 'SLEEP', 0.05)
      .catch((e: unknown) => e);
    await sleep(5);
    controller.abort(new Error('stop'));
    const replies = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) => conn.do('ECHO', `c${index}`)),
    );
    expect((await aborted) as Error).toMatchObject({ message: 'stop' });
    expect(replies.filter((reply, index) => text(reply) !== `c${index}`)).toEqual([]);
    await conn.close();
  });

  it('RESP2 subscriber: do(PING) takes the pong, receive() the messages, in order', async () => {
    const conn = await dial(redis.url);
    const publisher = await dial(redis.url);
    await conn.do('SUBSCRIBE', 'adv:mix');
    const pings = Promise.all(Array.from({ length: 20 }, () => conn.do('PING')));
    const publishes = Promise.all(
      Array.from({ length: 20 }, (_, index) => publisher.do('PUBLISH', 'adv:mix', index)),
    );
    const [pongs] = await Promise.all([pings, publishes]);
    expect(pongs.every((pong) => text(pong)[0] === 'pong')).toBe(true);
    // PUBLISH's reply can reach the publisher before the message is read here.
    await expect.poll(() => conn.bufferedReplies).toBe(21);
    const seen: unknown[] = [];
    while (conn.bufferedReplies > 0) seen.push(text(await conn.receive()));
    expect(seen[0]).toEqual(['subscribe', 'adv:mix', 1]);
    expect(seen.slice(1).map((message) => (message as string[])[2])).toEqual(
      Array.from({ length: 20 }, (_, index) => String(index)),
    );
    const outcome = await within(conn.receiveWith({ timeoutMs: 50 }), 500);
    expect(outcome.status).toBe('rejected');
    await Promise.all([conn.close(), publisher.close()]);
  });
});
