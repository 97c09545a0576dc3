import { type Push, ReplyError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, ConnectionError, dial } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: does every reply reach the caller whose command it answers?
const redis = useRedisServer();
let admin: Connection;
beforeAll(async () => {
  admin = await dial(redis.url);
  await admin.do('ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '&allowed:*', '+@all');
});
afterAll(() => admin?.close());

const key = (name: string) => `adv:${name}:${Math.random().toString(36).slice(2)}`;

describe('RESP2 after the connection has left pub/sub', () => {
  it('LRANGE whose items look like a pub/sub message goes to its caller after UNSUBSCRIBE', async () => {
    const list = key('list');
    await admin.do('RPUSH', list, 'message', 'chan', 'payload');
    const conn = await dial(redis.url, { readTimeoutMs: 1_000 });
    expect(await conn.do('SUBSCRIBE', 'allowed:x')).toBeNull();
    expect(await conn.do('UNSUBSCRIBE', 'allowed:x')).toBeNull();
    // The connection is an ordinary one again: LRANGE is allowed and answered.
    const outcome = await within(conn.do('LRANGE', list, 0, -1), 3_000);
    // Where did LRANGE's reply go? Replies that arrived stay readable after a failure.
    const unread: unknown[] = [];
    while (conn.bufferedReplies > 0) unread.push(text(await conn.receive()));
    const failure = outcome.status === 'rejected' ? (outcome.error as Error).message : undefined;
    conn.destroy();
    // (RESP2 subscribe/unsubscribe confirmations also go to receive(), by design.)
    expect({ status: outcome.status, failure, unread }).toEqual({
      status: 'resolved',
      failure: undefined,
      unread: [
        ['subscribe', 'allowed:x', 1],
        ['unsubscribe', 'allowed:x', 0],
      ],
    });
    expect(outcome.status === 'resolved' && text(outcome.value)).toEqual([
      'message',
      'chan',
      'payload',
    ]);
  });

  it('a SUBSCRIBE the server refused (NOPERM) does not make LRANGE replies disappear', async () => {
    const list = key('list2');
    await admin.do('RPUSH', list, 'subscribe', 'x', 'y');
    const conn = await dial(redis.url, {
      username: 'limited',
      password: 'limited-pw',
      readTimeoutMs: 1_000,
    });
    const refused = await conn.do('SUBSCRIBE', 'forbidden').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReplyError);
    const outcome = await within(conn.do('LRANGE', list, 0, -1), 3_000);
    conn.destroy();
    expect(outcome.status).toBe('resolved');
    expect(outcome.status === 'resolved' && text(outcome.value)).toEqual(['subscribe', 'x', 'y']);
  });

  it('receive() rejects at once (ERR_NOTHING_PENDING) once every subscription is gone', async () => {
    const conn = await dial(redis.url);
    conn.send('SUBSCRIBE', 'allowed:gone');
    await conn.flush();
    expect(text(await conn.receive())).toEqual(['subscribe', 'allowed:gone', 1]);
    conn.send('UNSUBSCRIBE');
    await conn.flush();
    expect(text(await conn.receive())).toEqual(['unsubscribe', 'allowed:gone', 0]);
    // Not subscribed any more, no send awaiting a reply: the README says this rejects at once.
    const outcome = await within(conn.receive(), 1_500);
    conn.destroy();
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && (outcome.error as { code?: string }).code).toBe(
      'ERR_NOTHING_PENDING',
    );
  });

  it('receive() after a SUBSCRIBE with no channel (an error reply) rejects at once', async () => {
    const conn = await dial(redis.url);
    await expect(conn.do('SUBSCRIBE')).rejects.toBeInstanceOf(ReplyError);
    const outcome = await within(conn.receive(), 1_500);
    conn.destroy();
    expect(outcome.status).toBe('rejected');
  });
});

describe('MONITOR', () => {
  it('a command on a MONITOR connection gets its own reply, not a monitor line', async () => {
    const monitor = await dial(redis.url);
    expect(await monitor.do('MONITOR')).toBe('OK');
    const busy = await dial(redis.url);
    let running = true;
    const traffic = (async () => {
      while (running) await Promise.all(Array.from({ length: 50 }, () => busy.do('PING')));
    })();
    await sleep(50);
    const wrong: unknown[] = [];
    for (let index = 0; index < 50; index++) {
      const outcome = await within(monitor.do('ECHO', `mine-${index}`), 2_000);
      if (outcome.status !== 'resolved' || text(outcome.value) !== `mine-${index}`)
        wrong.push(outcome.status === 'resolved' ? text(outcome.value) : outcome.status);
      if (monitor.err() !== null) break;
    }
    running = false;
    await traffic;
    monitor.destroy();
    await busy.close();
    expect(wrong).toEqual([]);
  });
});

describe('RESET', () => {
  it('RESP2: UNSUBSCRIBE after RESET gets its own confirmation and PING gets PONG', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 1_000 });
    expect(await conn.do('SUBSCRIBE', 'allowed:r1', 'allowed:r2', 'allowed:r3')).toBeNull();
    expect(await conn.do('RESET')).toBe('RESET');
    // The server has dropped every subscription; UNSUBSCRIBE is confirmed once (count 0).
    const unsubscribe = within(conn.do('UNSUBSCRIBE'), 3_000);
    const ping = within(conn.do('PING'), 3_000);
    const [u, p] = await Promise.all([unsubscribe, ping]);
    conn.destroy();
    expect(u.status === 'resolved' ? u.value : u.status).toBeNull();
    expect(p.status === 'resolved' ? p.value : p.status).toBe('PONG');
  });
});

describe('RESET, more', () => {
  it('RESP3: after RESET (server back on RESP2), SUBSCRIBE a b and PING each get their own reply', async () => {
    const conn = await dial(redis.url, { protocol: 3, readTimeoutMs: 1_000 });
    expect(await conn.do('RESET')).toBe('RESET');
    const subscribed = within(conn.do('SUBSCRIBE', 'allowed:rs1', 'allowed:rs2'), 3_000);
    const ping = within(conn.do('PING'), 3_000);
    const [s, p] = await Promise.all([subscribed, ping]);
    const protocol = conn.protocol;
    conn.destroy();
    expect(p.status === 'resolved' ? text(p.value) : p.status).toEqual(['pong', '']);
    expect(s.status).toBe('resolved');
    expect(protocol).toBe(2);
  });

  it('MONITOR then RESET: receive() with nothing to receive rejects at once', async () => {
    const conn = await dial(redis.url);
    expect(await conn.do('MONITOR')).toBe('OK');
    expect(await conn.do('RESET')).toBe('RESET');
    // Our own RESET is echoed to monitors before it takes effect; read what arrived.
    await sleep(50);
    while (conn.bufferedReplies > 0) await conn.receive();
    const outcome = await within(conn.receive(), 1_500);
    conn.destroy();
    expect(outcome.status).toBe('rejected');
  });
});

describe('RESP3 transactions', () => {
  it('MULTI; SUBSCRIBE a b; PUBLISH to a channel it holds; EXEC: every caller gets its reply', async () => {
    const conn = await dial(redis.url, { protocol: 3, readTimeoutMs: 1_000 });
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    expect(await conn.do('SUBSCRIBE', 'allowed:self')).toBeNull();
    const pipeline = conn.pipeline();
    pipeline.send('MULTI');
    pipeline.send('SUBSCRIBE', 'allowed:t1', 'allowed:t2');
    pipeline.send('PUBLISH', 'allowed:self', 'hi');
    pipeline.send('EXEC');
    const replies = within(pipeline.receiveAll(), 3_000);
    const after = within(conn.do('ECHO', 'after'), 3_000);
    const [r, a] = await Promise.all([replies, after]);
    const broken = conn.err();
    conn.destroy();
    expect(broken).toBeNull();
    expect(a.status === 'resolved' ? text(a.value) : a.status).toBe('after');
    expect(r.status).toBe('resolved');
    const exec = r.status === 'resolved' ? (r.value as unknown[])[3] : undefined;
    // EXEC's reply: the SUBSCRIBE's frames and PUBLISH's count (1 receiver: this connection).
    expect(Array.isArray(exec) && exec[exec.length - 1]).toBe(1);
  });
});

describe('UNSUBSCRIBE with no names inside MULTI, pipelined behind another UNSUBSCRIBE', () => {
  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}: EXEC gets its one frame and PING gets PONG`, async () => {
      const conn = await dial(redis.url, { protocol, readTimeoutMs: 1_000 });
      conn.onPush(() => {});
      expect(await conn.do('SUBSCRIBE', 'allowed:u1', 'allowed:u2', 'allowed:u3')).toBeNull();
      // One batch: at write time the connection still counts three channels.
      const pipeline = conn.pipeline();
      pipeline.send('UNSUBSCRIBE', 'allowed:u1', 'allowed:u2', 'allowed:u3');
      pipeline.send('MULTI');
      pipeline.send('UNSUBSCRIBE'); // the server holds nothing by then: one frame
      pipeline.send('EXEC');
      pipeline.send('PING');
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => within(pipeline.receive(), 3_000)),
      );
      const broken = conn.err();
      conn.destroy();
      const shown = outcomes.map((o) =>
        o.status === 'resolved'
          ? text(o.value)
          : `${o.status}: ${(o as { error?: Error }).error?.message}`,
      );
      if (protocol === 2) {
        // RESP2: a MULTI written while subscriptions are held is refused (the server refuses it
        // while subscribed), and what was pipelined after it up to EXEC with it.
        for (const refused of shown.slice(1, 4))
          expect(refused).toMatch(/rejected: MULTI on a RESP2 connection that holds/);
      } else {
        // UNSUBSCRIBE without names inside MULTI is refused (its confirmations could not be
        // counted), and its transaction with it: EXEC gets EXECABORT.
        expect(shown[2]).toMatch(/rejected: UNSUBSCRIBE inside MULTI must name its channels/);
        expect(shown[3]).toMatch(/rejected: EXECABORT/);
      }
      expect(shown[4]).toBe('PONG');
      expect(broken).toBeNull();
    });
  }
});

describe('transactions that publish to the connection itself', () => {
  it('RESP3: SUBSCRIBE x, then MULTI; PUBLISH x; EXEC resolves EXEC to [1] and keeps the connection', async () => {
    const conn = await dial(redis.url, { protocol: 3, readTimeoutMs: 1_000 });
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    expect(await conn.do('SUBSCRIBE', 'allowed:self3')).toBeNull();
    const pipeline = conn.pipeline();
    pipeline.send('MULTI');
    pipeline.send('PUBLISH', 'allowed:self3', 'hi');
    pipeline.send('EXEC');
    const replies = await within(pipeline.receiveAll(), 3_000);
    const after = await within(conn.do('ECHO', 'after'), 3_000);
    const broken = conn.err();
    conn.destroy();
    expect(broken).toBeNull();
    expect(replies.status === 'resolved' ? (replies.value as unknown[])[2] : replies).toEqual([1]);
    expect(after.status === 'resolved' ? text(after.value) : after.status).toBe('after');
    expect(pushes.some((push) => push.kind === 'message')).toBe(true);
  });
});

describe('HELLO mid-connection', () => {
  it('HELLO 2 on a protocol 3 connection: SUBSCRIBE a b resolves, the next caller gets its own reply', async () => {
    const conn = await dial(redis.url, { protocol: 3, readTimeoutMs: 1_000 });
    await conn.do('HELLO', 2);
    const subscribed = within(conn.do('SUBSCRIBE', 'allowed:h1', 'allowed:h2'), 3_000);
    const ping = within(conn.do('PING'), 3_000);
    const [s, p] = await Promise.all([subscribed, ping]);
    conn.destroy();
    // In RESP2 subscribed mode PING answers ["pong", ""].
    expect(p.status === 'resolved' ? text(p.value) : p.status).toEqual(['pong', '']);
    expect(s.status).toBe('resolved');
  });

  it('the protocol getter follows HELLO 3 ("2, or 3 after HELLO 3")', async () => {
    const conn = await dial(redis.url);
    await conn.do('HELLO', 3);
    const protocol = conn.protocol;
    await conn.close();
    expect(protocol).toBe(3);
  });
});

describe('CLIENT REPLY', () => {
  it('CLIENT REPLY SKIP: no caller gets a reply that answers another command', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 1_000 });
    const k = key('skip');
    await admin.do('SET', k, 'value-of-k');
    const skip = within(conn.do('CLIENT', 'REPLY', 'SKIP'), 3_000);
    const set = within(conn.do('SET', key('other'), 'x'), 3_000);
    const get = within(conn.do('GET', k), 3_000);
    const [sk, , g] = await Promise.all([skip, set, get]);
    conn.destroy();
    const got = (o: typeof sk) => (o.status === 'resolved' ? text(o.value) : o.status);
    // The value of k must reach GET's caller and nobody else.
    expect(got(sk)).not.toBe('value-of-k');
    expect(got(g)).toBe('value-of-k');
  });
});

describe('CLIENT KILL of itself', () => {
  it('commands written after CLIENT KILL of itself reject with sent: true', async () => {
    const conn = await dial(redis.url);
    const id = await conn.do('CLIENT', 'ID');
    const kill = conn.do('CLIENT', 'KILL', 'ID', id as number, 'SKIPME', 'no');
    const after = conn.do('PING').catch((error: unknown) => error);
    expect(await kill).toBe(1);
    const failure = await after;
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).sent).toBe(true);
  });
});
