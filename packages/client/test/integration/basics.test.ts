import { type Connection, ConnectionError, dial, TimeoutError } from '@x/conn';
import { ReplyError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Client,
  createClient,
  NeedsOwnConnectionError,
  type StatusEvent,
} from '../../src/index.js';

const redis = useRedisServer();
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

const text = (reply: unknown) =>
  reply instanceof Uint8Array ? Buffer.from(reply).toString() : reply;

async function killClient(client: Client): Promise<void> {
  const id = await client.do('CLIENT', 'ID');
  await admin.do('CLIENT', 'KILL', 'ID', id as number);
}

describe.each([2, 3] as const)('over RESP%i', (protocol) => {
  it('is usable at once and reports connecting, then ready', async () => {
    const client = createClient(redis.url, { protocol });
    const events: StatusEvent[] = [];
    client.onStatus((event) => events.push(event));
    expect(client.status).toBe('connecting');
    const reply = client.do('SET', `usable:${protocol}`, 'v');
    await expect(reply).resolves.toBe('OK');
    expect(client.status).toBe('ready');
    expect(events.map((event) => event.status)).toEqual(['ready']);
    await client.close();
    expect(client.status).toBe('closed');
  });

  it('replays the handshake (name, database, protocol) on every new connection', async () => {
    const client = createClient(redis.url, {
      protocol,
      clientName: `replay-${protocol}`,
      database: 3,
    });
    await client.do('SET', 'replayed', 'db3');
    const before = await client.do('CLIENT', 'ID');
    for (let round = 0; round < 3; round++) {
      await killClient(client);
      // The kill is seen when the socket closes; the next call waits for the new connection.
      await expect.poll(async () => client.do('CLIENT', 'ID')).not.toBe(before);
      const info = String(text(await client.do('CLIENT', 'INFO')));
      expect(info).toContain(` name=replay-${protocol} `);
      expect(info).toContain(' db=3 ');
      expect(info).toMatch(new RegExp(` resp=${protocol}\\s`));
      expect(text(await client.do('GET', 'replayed'))).toBe('db3');
    }
    await client.close();
  });

  it('pipelines: a private queue of sends and replies', async () => {
    const client = createClient(redis.url, { protocol });
    const pipeline = client.pipeline();
    pipeline.send('SET', `pipe:${protocol}`, 1);
    pipeline.send('INCR', `pipe:${protocol}`);
    pipeline.send('HGET', `pipe:${protocol}`, 'f');
    await pipeline.flush();
    const concurrent = client.do('PING');
    const replies = await pipeline.receiveAll();
    expect(replies.slice(0, 2)).toEqual(['OK', 2]);
    expect(replies[2]).toBeInstanceOf(ReplyError);
    await expect(concurrent).resolves.toBe('PONG');
    await client.close();
  });

  it('refuses commands that need a connection of their own, and keeps working', async () => {
    const client = createClient(redis.url, { protocol });
    for (const command of [
      ['MULTI'],
      ['WATCH', 'k'],
      ['EXEC'],
      ['BLPOP', 'list', 1],
      ['XREAD', 'BLOCK', 100, 'STREAMS', 's', '$'],
      ['SUBSCRIBE', 'news'],
      ['MONITOR'],
      ['SELECT', 1],
    ] as const) {
      const [name, ...args] = command;
      const refused = client.do(name, ...args);
      await expect(refused).rejects.toBeInstanceOf(NeedsOwnConnectionError);
      await expect(refused).rejects.toThrow(/exclusive|Subscriber|client options/);
    }
    expect(await client.do('XREAD', 'COUNT', 1, 'STREAMS', `nostream:${protocol}`, '0')).toBe(null);
    expect(await client.do('PING')).toBe('PONG');
    await client.close();
  });

  it('lends connections of its own for transactions and blocking commands', async () => {
    const client = createClient(redis.url, { protocol });
    const key = `exclusive:${protocol}`;
    await client.do('SET', key, 10);
    const result = await client.exclusive(async (conn) => {
      await conn.do('WATCH', key);
      const value = Number(text(await conn.do('GET', key)));
      conn.send('MULTI');
      conn.send('SET', key, value + 1);
      return conn.do('EXEC');
    });
    expect(result).toEqual(['OK']);
    const popped = client.exclusive((conn) => conn.do('BLPOP', `${key}:list`, 5));
    // The shared connection is not held back by the blocked one.
    expect(text(await client.do('GET', key))).toBe('11');
    await client.do('RPUSH', `${key}:list`, 'item');
    expect(((await popped) as unknown[]).map(text)).toEqual([`${key}:list`, 'item']);
    await client.close();
  });

  it('rejects calls after close() and destroy(), and close() lets issued calls finish', async () => {
    const client = createClient(redis.url, { protocol });
    const issued = Array.from({ length: 1_000 }, (_, index) => client.do('ECHO', String(index)));
    const closed = client.close();
    await expect(client.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect((await Promise.all(issued)).map(text)).toEqual(
      Array.from({ length: 1_000 }, (_, index) => String(index)),
    );
    await closed;

    const destroyed = createClient(redis.url, { protocol });
    await destroyed.do('PING');
    const pending = destroyed.do('DEBUG', 'SLEEP', '0.2');
    const unwritten = destroyed.do('PING');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const neverWritten = destroyed.do('PING');
    destroyed.destroy(new Error('shutting down'));
    const failure = await pending.catch((error: unknown) => error);
    expect(ConnectionError.is(failure)).toBe(true);
    expect((failure as ConnectionError).sent).toBe(true);
    // Written behind DEBUG SLEEP: sent, unanswered. Issued in the destroying tick: never sent.
    await expect(unwritten).rejects.toMatchObject({ sent: true });
    await expect(neverWritten).rejects.toMatchObject({ sent: false, code: 'ERR_DESTROYED' });
    await expect(destroyed.do('PING')).rejects.toMatchObject({ code: 'ERR_DESTROYED' });
  });
});

describe('call limits', () => {
  it('a call time limit covers the wait for a connection', async () => {
    // Nothing listens on port 1: the client keeps trying; the call gives up on its own limit.
    const client = createClient('redis://127.0.0.1:1', {
      reconnect: { baseDelayMs: 10, maxDelayMs: 20 },
    });
    const started = performance.now();
    const failure = await client
      .doWith({ timeoutMs: 150 }, 'PING')
      .catch((error: unknown) => error);
    const tookMs = performance.now() - started;
    expect(TimeoutError.is(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/waiting for a connection/);
    expect(tookMs).toBeGreaterThanOrEqual(140);
    expect(tookMs).toBeLessThan(1_000);
    const aborter = new AbortController();
    const aborted = client.doWith({ signal: aborter.signal }, 'PING');
    aborter.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    client.destroy();
  });

  it('close() with a time limit ends the wait for a connection that never comes', async () => {
    const client = createClient('redis://127.0.0.1:1', {
      reconnect: { baseDelayMs: 10, maxDelayMs: 20 },
    });
    const waiting = client.do('PING').catch((error: unknown) => error);
    const started = performance.now();
    await client.close({ timeoutMs: 200 });
    const tookMs = performance.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(tookMs).toBeLessThan(1_000);
    expect(await waiting).toMatchObject({ code: 'ERR_DESTROYED', sent: false });
    expect(client.status).toBe('closed');
  });

  it('refuses bad options and targets with a typed error', async () => {
    expect(() => createClient(redis.url, { offlineWaitMs: -5 })).toThrow(RangeError);
    expect(() => createClient(42 as never)).toThrow(TypeError);
    expect(() => createClient(() => dial(redis.url), { port: 1 })).toThrow(/dial function/);
    const client = createClient(redis.url);
    await expect(client.doWith({ timeoutMs: -1 }, 'PING')).rejects.toBeInstanceOf(RangeError);
    await expect(client.do(undefined as never)).rejects.toBeInstanceOf(TypeError);
    await expect(client.doWith({ idempotent: 'yes' as never }, 'GET', 'k')).rejects.toThrow(
      /idempotent must be true or false/,
    );
    await client.close();
    // An option dial() refuses stops the client instead of retrying for ever.
    const misconfigured = createClient(redis.url, { port: 70_000 });
    await expect(misconfigured.do('PING')).rejects.toMatchObject({ code: 'ERR_DIAL_OPTIONS' });
    expect(misconfigured.status).toBe('closed');
  });

  it('takes a dial function, called with a signal for every connection', async () => {
    const signals: AbortSignal[] = [];
    const client = createClient(({ signal }) => {
      signals.push(signal);
      return dial(redis.url, { signal });
    });
    await client.do('PING');
    await killClient(client);
    await expect.poll(() => client.do('PING').then(() => signals.length)).toBe(2);
    await client.close();
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
