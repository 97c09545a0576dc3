import { once } from 'node:events';
import { connect } from 'node:net';
import { type FakeServer, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { dial, newConn } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: with default options, does every promise settle?
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('receive() on a RESP3 connection', () => {
  it('receive() after send(SUBSCRIBE) settles (RESP3 confirms with a push, not a reply)', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    conn.send('SUBSCRIBE', 'adv:resp3-receive');
    const outcome = await within(conn.receive(), 2_000);
    conn.destroy();
    // Either the send's reply (null, as do() gets) or a rejection; never pending for ever.
    expect(outcome.status).not.toBe('pending');
  });
});

describe('receive() racing a do() that collects the same sends', () => {
  it('a receive() already waiting for a send reply settles when a do() follows', async () => {
    const conn = await dial(redis.url);
    conn.send('ECHO', 'for-receive');
    const received = conn.receive();
    const done = conn.do('ECHO', 'for-do');
    expect(text(await done)).toBe('for-do');
    const outcome = await within(received, 2_000);
    conn.destroy();
    // The waiting receive keeps its place: it gets the reply it waited for.
    expect(outcome.status === 'resolved' && text(outcome.value)).toBe('for-receive');
  });

  it('a receive() already waiting settles when do("") follows', async () => {
    const conn = await dial(redis.url);
    conn.send('ECHO', 'one');
    const received = conn.receive();
    // The waiting receive keeps its place, so do('') finds nothing else pending.
    expect(await conn.do('')).toBeNull();
    const outcome = await within(received, 2_000);
    conn.destroy();
    expect(outcome.status === 'resolved' && text(outcome.value)).toBe('one');
  });
});

describe('newConn on a socket that is already closed', () => {
  it('close() settles and err() reports the dead socket', async () => {
    const socket = connect(redis.server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
    await once(socket, 'close');
    const conn = newConn(socket);
    const closing = await within(conn.close(), 2_000);
    const closed = await within(conn.closed, 100);
    expect(closing.status).toBe('resolved');
    expect(closed.status).toBe('resolved');
  });

  it('a do() on it rejects (bounded by readTimeoutMs at worst)', async () => {
    const socket = connect(redis.server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
    await once(socket, 'close');
    const conn = newConn(socket, { readTimeoutMs: 500 });
    const outcome = await within(conn.do('PING'), 2_000);
    conn.destroy();
    expect(outcome.status).toBe('rejected');
  });
});

describe('a server that trickles bytes', () => {
  it('RESP3 pushes keep flowing but GET is never answered: GET settles within readTimeoutMs + slack', async () => {
    fake = await startFakeServer({
      protocol: 3,
      onCommand: ([name], connection) => {
        if (name === 'GET') {
          const timer = setInterval(() => connection.write('>2\r\n+message\r\n+tick\r\n'), 100);
          connection.socket.once('close', () => clearInterval(timer));
          return undefined; // never answered
        }
        return 'OK';
      },
    });
    const conn = await dial(fake.url, { readTimeoutMs: 500 });
    let pushes = 0;
    conn.onPush(() => pushes++);
    const outcome = await within(conn.do('GET', 'k'), 3_000);
    conn.destroy();
    expect(pushes).toBeGreaterThanOrEqual(3);
    // The server sends bytes, just never this command's reply.
    expect(outcome.status).toBe('rejected');
  });
});

describe('a blocking command that finishes early leaves a long timer behind', () => {
  it('GET behind an early-answered BLPOP 5 fails about readTimeoutMs after the last byte', async () => {
    fake = await startFakeServer({
      onCommand: ([name]) => {
        if (name === 'BLPOP') return sleep(700).then(() => null);
        if (name === 'GET') return undefined; // the server hangs from here on
        return 'OK';
      },
    });
    const conn = await dial(fake.url, { readTimeoutMs: 500 });
    const started = Date.now();
    const blpop = conn.do('BLPOP', 'q', 5);
    const get = conn.do('GET', 'k').catch((error: unknown) => error);
    expect(await blpop).toBeNull();
    const outcome = await within(get, 7_000);
    const total = Date.now() - started;
    conn.destroy();
    // BLPOP answered at ~700 ms (after the first deadline check re-armed the timer for BLPOP's
    // 5 s allowance); readTimeoutMs 500: the GET should fail at ~1.2 s, well before 2.5 s.
    expect(outcome.status).toBe('resolved'); // the .catch above turns the rejection into a value
    expect(total).toBeLessThan(2_500);
  });
});

describe('XREADGROUP whose group is named like a keyword', () => {
  it('a group called "streams" still gets BLOCK 1500 plus readTimeoutMs', async () => {
    const conn = await dial(redis.url, { readTimeoutMs: 500 });
    const stream = `adv:stream:${Math.random()}`;
    await conn.do('XGROUP', 'CREATE', stream, 'streams', '$', 'MKSTREAM');
    const outcome = await within(
      conn.do('XREADGROUP', 'GROUP', 'streams', 'c1', 'BLOCK', 1_500, 'STREAMS', stream, '>'),
      4_000,
    );
    const broken = conn.err();
    conn.destroy();
    // The server answers nil after 1.5 s; the client must not have failed the connection first.
    expect(broken).toBeNull();
    expect(outcome.status === 'resolved' ? outcome.value : outcome.status).toBeNull();
  });
});
