import { ProtocolError, type Push, ReplyError } from '@x/resp';
import { type FakeServer, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, ConnectionError, dial } from '../../src/index.js';

// Every reply goes to the caller whose command it answers, decided from the reply itself.
const redis = useRedisServer();
let admin: Connection;
beforeAll(async () => {
  admin = await dial(redis.url);
  await admin.do('ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '&allowed:*', '+@all');
});
afterAll(() => admin?.close());

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const echoes = (conn: Connection, count: number) =>
  Promise.all(Array.from({ length: count }, (_, index) => conn.do('ECHO', `echo-${index}`)));
const wrongOnes = (replies: unknown[]) =>
  replies.filter((reply, index) => String(reply) !== `echo-${index}`).length;

describe('RESP3 subscribe family', () => {
  it('gives a refused SUBSCRIBE its error and every later caller its own reply', async () => {
    const conn = await dial(redis.url, {
      protocol: 3,
      username: 'limited',
      password: 'limited-pw',
    });
    const refused = conn.do('SUBSCRIBE', 'forbidden').catch((error: unknown) => error);
    const replies = await echoes(conn, 1_000);
    const refusal = await refused;
    expect(refusal).toBeInstanceOf(ReplyError);
    expect((refusal as ReplyError).code).toBe('NOPERM');
    expect(wrongOnes(replies)).toBe(0);
    await conn.close();
  });

  it('resolves a SUBSCRIBE once confirmed and keeps later replies in step', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    const subscribed = conn.do('SUBSCRIBE', 'allowed:a', 'allowed:b', 'allowed:c');
    const replies = await echoes(conn, 1_000);
    expect(await subscribed).toBeNull();
    expect(pushes.map((push) => push.kind)).toEqual(['subscribe', 'subscribe', 'subscribe']);
    expect(wrongOnes(replies)).toBe(0);
    // UNSUBSCRIBE with no names is confirmed once per channel held.
    const unsubscribed = conn.do('UNSUBSCRIBE');
    expect(wrongOnes(await echoes(conn, 1_000))).toBe(0);
    expect(await unsubscribed).toBeNull();
    expect(pushes.filter((push) => push.kind === 'unsubscribe')).toHaveLength(3);
    // With nothing held, it is confirmed once.
    const again = conn.do('PUNSUBSCRIBE');
    expect(wrongOnes(await echoes(conn, 100))).toBe(0);
    expect(await again).toBeNull();
    await conn.close();
  });

  it('gives a SUBSCRIBE queued in MULTI its QUEUED and EXEC its array', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    const pipeline = conn.pipeline();
    pipeline.send('MULTI');
    pipeline.send('SUBSCRIBE', 'allowed:tx-1', 'allowed:tx-2', 'allowed:tx-3');
    pipeline.send('ECHO', 'inside');
    pipeline.send('EXEC');
    const replies = pipeline.receiveAll();
    const later = echoes(conn, 1_000);
    const [multi, queued, queuedEcho, exec] = await replies;
    expect([multi, queued, queuedEcho]).toEqual(['OK', 'QUEUED', 'QUEUED']);
    // Redis counts the SUBSCRIBE as one element but writes one push per channel.
    expect(exec).toHaveLength(4);
    expect((exec as unknown[])[3]).toEqual(Buffer.from('inside'));
    expect(wrongOnes(await later)).toBe(0);
    // The subscriptions made inside EXEC are counted: UNSUBSCRIBE gets both confirmations.
    const unsubscribed = conn.do('UNSUBSCRIBE');
    expect(wrongOnes(await echoes(conn, 100))).toBe(0);
    expect(await unsubscribed).toBeNull();
    await conn.close();
  });
});

describe('pausing reads never holds back an awaited reply', () => {
  it('RESP3: a consumer that pauses reading still gets every command reply', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const messages: Push[] = [];
    conn.onPush((push) => {
      if (push.kind === 'message') messages.push(push);
    });
    await conn.do('SUBSCRIBE', 'allowed:flood');
    // The consumer pauses, as @x/pubsub does when its buffer is full, then runs commands.
    await Promise.all(
      Array.from({ length: 20_000 }, (_, index) => admin.do('PUBLISH', 'allowed:flood', index)),
    );
    conn.pauseReading();
    const started = Date.now();
    for (let index = 0; index < 20; index++)
      expect(await conn.do('ECHO', `during-${index}`)).toEqual(Buffer.from(`during-${index}`));
    expect(Date.now() - started).toBeLessThan(5_000);
    conn.resumeReading();
    await conn.close();
  });

  it('RESP2: do(PING) settles with over 10,000 unread messages', async () => {
    const conn = await dial(redis.url, { maxBufferedReplies: 1_000 });
    conn.send('SUBSCRIBE', 'allowed:flood2');
    await conn.flush();
    await Promise.all(
      Array.from({ length: 12_000 }, (_, index) => admin.do('PUBLISH', 'allowed:flood2', index)),
    );
    // RESP2 subscribed PING answers ["pong", ""]; messages before it stay for receive().
    const pong = await conn.doWith({ timeoutMs: 5_000 }, 'PING');
    expect(pong).toEqual([Buffer.from('pong'), Buffer.from('')]);
    const first = await conn.receive();
    expect(first).toEqual([Buffer.from('subscribe'), Buffer.from('allowed:flood2'), 1]);
    expect(await conn.receive()).toEqual([
      Buffer.from('message'),
      Buffer.from('allowed:flood2'),
      Buffer.from('0'),
    ]);
    await conn.close({ timeoutMs: 100 });
  });
});

describe('replies nobody asked for', () => {
  it('fails the connection on one stray error reply instead of handing it to the next caller', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'STRAY') setTimeout(() => connection.write('-ERR stray\r\n'), 20);
        return 'OK';
      },
    });
    const conn = await dial(fake.url);
    expect(await conn.do('STRAY')).toBe('OK');
    await conn.closed;
    const failure = conn.err();
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(failure?.cause).toBeInstanceOf(ProtocolError);
    expect(failure?.message).toMatch(/no command was waiting/);
    await expect(conn.do('GET', 'k')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('fails at once on 10,001 strays: the next call never hangs', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'FLOOD') setTimeout(() => connection.write('+stray\r\n'.repeat(10_001)), 20);
        return 'OK';
      },
    });
    const conn = await dial(fake.url);
    await conn.do('FLOOD');
    await conn.closed;
    await expect(conn.doWith({ timeoutMs: 2_000 }, 'PING')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('fails at once on a reply line ended by a bare LF', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'BARE') connection.write('+OK\n');
        return name === 'BARE' ? undefined : 'OK';
      },
    });
    const conn = await dial(fake.url);
    const failure = await conn.doWith({ timeoutMs: 2_000 }, 'BARE').catch((error) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).cause).toBeInstanceOf(ProtocolError);
  });
});
