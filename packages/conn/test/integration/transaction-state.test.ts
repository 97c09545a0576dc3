import { ReplyError } from '@x/resp';
import { type FakeServer, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, dial } from '../../src/index.js';

// The connection follows MULTI, MONITOR and HELLO from the server's answers, and refuses inside
// MULTI what would make EXEC's replies impossible to match (the transaction is then discarded).
const redis = useRedisServer();
let admin: Connection;
beforeAll(async () => {
  admin = await dial(redis.url);
  await admin.do(
    'ACL',
    'SETUSER',
    'nomonitor',
    'on',
    '>nomonitor-pw',
    '~*',
    '&*',
    '+@all',
    '-monitor',
  );
});
afterAll(() => admin?.close());
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const text = (reply: unknown): unknown =>
  Array.isArray(reply) ? reply.map(text) : Buffer.isBuffer(reply) ? reply.toString() : reply;
const outcome = (call: Promise<unknown>) =>
  call.then(
    (reply) => text(reply),
    (error: Error) => `${error.name}: ${error.message}`,
  );

describe('RESP2: a message published while EXEC runs would land inside its array', () => {
  it.each([['ch'], ['ch', 'other']])(
    'SUBSCRIBE %s then PUBLISH inside MULTI: PUBLISH refused, EXECABORT, PING gets PONG',
    async (...channels) => {
      const conn = await dial(redis.url, { readTimeoutMs: 2_000 });
      const calls = [
        conn.do('MULTI'),
        conn.do('SUBSCRIBE', ...channels),
        conn.do('PUBLISH', 'ch', 'hi'),
        conn.do('EXEC'),
        conn.do('PING'),
      ].map(outcome);
      const [multi, subscribe, publish, exec, ping] = await Promise.all(calls);
      expect({ multi, subscribe, ping }).toEqual({
        multi: 'OK',
        subscribe: 'QUEUED',
        ping: 'PONG',
      });
      expect(publish).toMatch(/^TypeError: PUBLISH inside MULTI is refused: after a SUBSCRIBE/);
      expect(exec).toMatch(/^ReplyError: EXECABORT/);
      expect(conn.bufferedReplies).toBe(0);
      expect(conn.err()).toBeNull();
      conn.destroy();
    },
  );

  it('PING after SUBSCRIBE in the same transaction is allowed', async () => {
    const conn = await dial(redis.url);
    conn.send('MULTI');
    conn.send('SUBSCRIBE', 'pinged');
    conn.send('PING');
    const exec = await conn.do('EXEC');
    expect(text(exec)).toEqual([
      ['subscribe', 'pinged', 1],
      ['pong', ''],
    ]);
    conn.destroy();
  });
});

describe('HELLO and MONITOR inside MULTI', () => {
  it.each([2, 3] as const)(
    'RESP%i: HELLO inside MULTI is refused; the protocol stays',
    async (protocol) => {
      const conn = await dial(redis.url, { protocol });
      const calls = [
        conn.do('MULTI'),
        conn.do('HELLO', protocol === 2 ? 3 : 2),
        conn.do('EXEC'),
      ].map(outcome);
      const [, hello, exec] = await Promise.all(calls);
      expect(hello).toMatch(/^TypeError: HELLO inside MULTI is refused/);
      expect(exec).toMatch(/^ReplyError: EXECABORT/);
      expect(conn.protocol).toBe(protocol);
      expect(await conn.do('SUBSCRIBE', 'after-hello')).toBeNull();
      expect(conn.err()).toBeNull();
      conn.destroy();
    },
  );

  it('MONITOR inside MULTI is refused, and receive() then has nothing to wait for', async () => {
    const conn = await dial(redis.url);
    const calls = [conn.do('MULTI'), conn.do('MONITOR'), conn.do('EXEC')].map(outcome);
    const [, monitor, exec] = await Promise.all(calls);
    expect(monitor).toMatch(/^TypeError: MONITOR inside MULTI is refused/);
    expect(exec).toMatch(/^ReplyError: EXECABORT/);
    await expect(conn.receive()).rejects.toMatchObject({ code: 'ERR_NOTHING_PENDING' });
    conn.destroy();
  });
});

describe('state the server refused', () => {
  it('a MONITOR refused with NOPERM leaves no MONITOR mode: receive() rejects at once', async () => {
    const conn = await dial(redis.url, { username: 'nomonitor', password: 'nomonitor-pw' });
    const refused = await conn.do('MONITOR').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReplyError);
    await expect(conn.receive()).rejects.toMatchObject({ code: 'ERR_NOTHING_PENDING' });
    expect(await conn.do('PING')).toBe('PONG');
    conn.destroy();
  });

  it('after a refused MONITOR, the keep-alive PING still finds a silent server', async () => {
    let silent = false;
    fake = await startFakeServer({
      onCommand: ([name]) => {
        if (silent) return undefined;
        if (name?.toUpperCase() !== 'MONITOR') return 'OK';
        silent = true;
        return new ReplyError('NOPERM this user has no permissions to run the monitor command');
      },
    });
    const conn = await dial(fake.url, { keepAlivePingMs: 100 });
    await conn.do('MONITOR').catch(() => {});
    const started = Date.now();
    await conn.closed;
    expect(conn.err()?.message).toMatch(/keep-alive PING/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('RESP2: a MULTI refused while subscribed opens no transaction', async () => {
    const conn = await dial(redis.url);
    await conn.do('SUBSCRIBE', 'refused-multi');
    // Refused before the server can refuse it: the server does the same while subscribed.
    const multi = await conn.do('MULTI').catch((error: unknown) => error);
    expect(multi).toBeInstanceOf(TypeError);
    // UNSUBSCRIBE without names is only refused inside a transaction.
    expect(await conn.do('UNSUBSCRIBE')).toBeNull();
    await expect(conn.receive()).resolves.toEqual(expect.anything());
    conn.destroy();
  });
});

describe('a nested MULTI the server refuses leaves the transaction open', () => {
  it('keep-alive PINGs stay out of it: EXEC gets only the queued command', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    expect(await conn.do('MULTI')).toBe('OK');
    await expect(conn.do('MULTI')).rejects.toThrow(/nested/);
    expect(await conn.do('SET', 'nested:a', '1')).toBe('QUEUED');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(text(await conn.do('EXEC'))).toEqual(['OK']);
    conn.destroy();
  });

  it('RESP2: PUBLISH after SUBSCRIBE is still refused; every caller gets its own reply', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 2_000 });
    expect(await conn.do('MULTI')).toBe('OK');
    // Answered before the rest is written: the transaction must still count as open.
    const nested = await outcome(conn.do('MULTI'));
    const calls = [
      conn.do('SUBSCRIBE', 'ch'),
      conn.do('PUBLISH', 'ch', 'hi'),
      conn.do('ECHO', 'mine'),
      conn.do('EXEC'),
      conn.do('PING'),
    ].map(outcome);
    const [subscribe, publish, echo, exec, ping] = await Promise.all(calls);
    expect(nested).toMatch(/^ReplyError: ERR MULTI calls can not be nested/);
    expect(subscribe).toBe('QUEUED');
    expect(publish).toMatch(/^TypeError: PUBLISH inside MULTI is refused/);
    expect(echo).toMatch(/^TypeError: ECHO inside MULTI is refused/);
    expect(exec).toMatch(/^ReplyError: EXECABORT/);
    expect(ping).toBe('PONG');
    expect(conn.bufferedReplies).toBe(0);
    conn.destroy();
  });
});

describe('what the server runs before the next command decides the transaction', () => {
  it('MULTI, SET, RESET, MULTI, SET pipelined: keep-alive PINGs stay out of the second one', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    const pipeline = conn.pipeline();
    for (const command of [['MULTI'], ['SET', 'reset:a', '1'], ['RESET'], ['MULTI']])
      pipeline.send(...(command as [string, ...string[]]));
    pipeline.send('SET', 'reset:b', '2');
    expect(text(await pipeline.receiveAll())).toEqual(['OK', 'QUEUED', 'RESET', 'OK', 'QUEUED']);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(text(await conn.do('EXEC'))).toEqual(['OK']);
    conn.destroy();
  });

  it('MULTI, RESET, HELLO 3: HELLO runs outside any transaction', async () => {
    const conn = await dial(redis.url);
    const calls = [conn.do('MULTI'), conn.do('RESET'), conn.do('HELLO', 3)].map(outcome);
    const [, reset, hello] = await Promise.all(calls);
    expect(reset).toBe('RESET');
    // The HELLO reply, not a refusal.
    expect(typeof hello === 'string' && hello.startsWith('TypeError')).toBe(false);
    expect(conn.protocol).toBe(3);
    conn.destroy();
  });

  it('RESP2: MULTI while subscriptions are held or awaited is refused; after UNSUBSCRIBE it opens', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    await conn.do('SUBSCRIBE', 'held');
    const calls = [conn.do('MULTI'), conn.do('UNSUBSCRIBE', 'held')].map(outcome);
    const [multi, unsubscribe] = await Promise.all(calls);
    expect(multi).toMatch(
      /^TypeError: MULTI on a RESP2 connection that holds or awaits subscriptions/,
    );
    // Written after the refused MULTI, before its caller could know: refused with it.
    expect(unsubscribe).toBe(multi);
    expect(await conn.do('UNSUBSCRIBE', 'held')).toBeNull();
    while (conn.bufferedReplies > 0) await conn.receive();
    expect(await conn.do('MULTI')).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(text(await conn.do('EXEC'))).toEqual([]);
    conn.destroy();
  });

  it('MULTI with an argument (refused for its arity) opens no transaction', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    await expect(conn.do('MULTI', 'x')).rejects.toThrow(/wrong number of arguments/);
    // Not inside MULTI: HELLO is not refused as it would be in a transaction.
    expect(await conn.do('HELLO', 2)).toBeTruthy();
    conn.destroy();
  });
});

describe('a MULTI refused here takes its whole transaction with it', () => {
  it('RESP2: nothing queued after the refused MULTI runs outside a transaction', async () => {
    const conn = await dial(redis.url);
    const name = `refused-multi:${Math.random().toString(36).slice(2)}`;
    await conn.do('SUBSCRIBE', 'held-then-dropped');
    const calls = [
      conn.do('UNSUBSCRIBE', 'held-then-dropped'),
      conn.do('MULTI'),
      conn.do('INCR', name),
      conn.do('EXEC'),
      conn.do('PING'),
    ].map(outcome);
    const [, multi, incr, exec, ping] = await Promise.all(calls);
    expect(multi).toMatch(/^TypeError: MULTI on a RESP2 connection/);
    expect(incr).toBe(multi);
    expect(exec).toBe(multi);
    expect(ping).toBe('PONG');
    expect(await admin.do('EXISTS', name)).toBe(0);
    conn.destroy();
  });

  it('RESP3 with HELLO 2 unanswered: the RESP2 rules apply to the transaction after it', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const calls = [
      conn.do('HELLO', 2),
      conn.do('MULTI'),
      conn.do('SUBSCRIBE', 'after-hello-2'),
      conn.do('PUBLISH', 'after-hello-2', 'hi'),
      conn.do('EXEC'),
      conn.do('PING'),
    ].map(outcome);
    const [, multi, subscribe, publish, exec, ping] = await Promise.all(calls);
    expect({ multi, subscribe, ping }).toEqual({ multi: 'OK', subscribe: 'QUEUED', ping: 'PONG' });
    expect(publish).toMatch(/^TypeError: PUBLISH inside MULTI is refused/);
    expect(exec).toMatch(/^ReplyError: EXECABORT/);
    expect(conn.bufferedReplies).toBe(0);
    expect(conn.protocol).toBe(2);
    conn.destroy();
  });
});
