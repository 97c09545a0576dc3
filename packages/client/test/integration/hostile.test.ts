import { type Connection, ConnectionError, dial } from '@x/conn';
import { captureProcessFaults, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, type StatusEvent } from '../../src/index.js';
import { settle } from './outcomes.js';

const redis = useRedisServer();
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const within = <T>(promise: Promise<T>, limitMs: number): Promise<T | 'pending'> =>
  Promise.race([promise, sleep(limitMs).then(() => 'pending' as const)]);

async function killClient(client: Client): Promise<void> {
  const id = await client.do('CLIENT', 'ID');
  await admin.do('CLIENT', 'KILL', 'ID', id as number);
}

describe('servers that answer PING oddly', () => {
  it('settles waiting calls when the PONG comes with a reply nobody asked for', async () => {
    // The connection fails in the same read that brings PONG: not a connection to send on.
    const fake = await startFakeServer({
      onCommand: (command, connection) => {
        if (command[0]?.toUpperCase() !== 'PING') return 'OK';
        connection.write('+PONG\r\n+UNASKED\r\n');
        return undefined;
      },
    });
    const client = createClient(fake.url, { offlineWaitMs: 300 });
    const started = performance.now();
    const calls = Array.from({ length: 20 }, () => settle(client.do('GET', 'k')));
    const outcomes = await within(Promise.all(calls), 3_000);
    expect(outcomes).not.toBe('pending');
    for (const outcome of outcomes as Awaited<ReturnType<typeof settle>>[])
      expect(outcome).toMatchObject({ status: 'rejected', code: 'ERR_NOT_CONNECTED' });
    expect(performance.now() - started).toBeLessThan(1_500);
    client.destroy();
    await fake.close();
  });

  it('bounds the readiness PING by connectTimeoutMs, also with readTimeoutMs off', async () => {
    const silent = await startFakeServer({ onCommand: () => undefined });
    const events: StatusEvent[] = [];
    const client = createClient(silent.url, {
      readTimeoutMs: 0,
      connectTimeoutMs: 150,
      offlineWaitMs: 5_000,
      reconnect: { baseDelayMs: 10, maxDelayMs: 20 },
    });
    client.onStatus((event) => events.push(event));
    await sleep(700);
    // Each attempt's PING timed out and the next attempt followed.
    expect(events.filter((event) => event.status === 'connecting').length).toBeGreaterThan(1);
    client.destroy();
    await silent.close();
  });

  it('works for an ACL user without PING, and with PING renamed away', async () => {
    await admin.do('ACL', 'SETUSER', 'no-ping', 'on', '>pw', '~*', '-@all', '+get', '+set');
    const client = createClient(redis.url, { username: 'no-ping', password: 'pw' });
    expect(await client.do('SET', 'acl-key', 'v')).toBe('OK');
    expect(client.status).toBe('ready');
    await client.close();
  });
});

describe('status listeners and order', () => {
  it('sends calls waiting for a connection before one a ready listener makes', async () => {
    const key = 'order:ready';
    await admin.do('DEL', key);
    const client = createClient(redis.url);
    client.onStatus((event) => {
      if (event.status === 'ready') void client.do('RPUSH', key, 'from-listener');
    });
    await client.do('RPUSH', key, 'issued-first');
    await sleep(50);
    expect(await client.do('LRANGE', key, 0, -1)).toEqual([
      Buffer.from('issued-first'),
      Buffer.from('from-listener'),
    ]);
    await client.close();
  });

  it('queues a call a reconnecting listener makes behind every call carried over', async () => {
    const key = 'order:reconnecting';
    await admin.do('DEL', key);
    const client = createClient(redis.url, { readTimeoutMs: 200 });
    await client.do('PING');
    let fromListener: Promise<unknown> | undefined;
    client.onStatus((event) => {
      if (event.status === 'reconnecting' && fromListener === undefined)
        fromListener = client.do('RPUSH', key, 'L');
    });
    // A stopped server takes no writes: A and B wait unwritten behind a big SET until
    // readTimeoutMs fails the connection, which carries all three over.
    process.kill(redis.server.pid, 'SIGSTOP');
    let pushes: Promise<unknown>[];
    try {
      const big = settle(client.do('SET', 'big', 'v'.repeat(4 * 1024 * 1024)));
      pushes = [client.do('RPUSH', key, 'A'), client.do('RPUSH', key, 'B')];
      await expect.poll(() => client.status).toBe('reconnecting');
      void big;
    } finally {
      process.kill(redis.server.pid, 'SIGCONT');
    }
    await Promise.all(pushes);
    await fromListener;
    const list = ((await client.do('LRANGE', key, 0, -1)) as Buffer[]).map(String);
    expect(list).toEqual(['A', 'B', 'L']);
    await client.close();
  });

  it('leaves nothing pending when a listener destroys the client while calls are carried over', async () => {
    const failures = captureProcessFaults();
    // A stopped server takes no writes: the big SETs stay unwritten until readTimeoutMs fails
    // the connection, which carries them over, and the listener destroys the client.
    const client = createClient(redis.url, { offlineWaitMs: 0, readTimeoutMs: 200 });
    await client.do('PING');
    client.onStatus((event) => {
      if (event.status === 'reconnecting') client.destroy(new Error('listener gave up'));
    });
    process.kill(redis.server.pid, 'SIGSTOP');
    try {
      const value = 'v'.repeat(256 * 1024);
      const calls = Array.from({ length: 100 }, () => settle(client.do('SET', 'k', value)));
      const outcomes = await within(Promise.all(calls), 3_000);
      expect(outcomes).not.toBe('pending');
      const settled = outcomes as Awaited<ReturnType<typeof settle>>[];
      expect(settled.every((outcome) => ConnectionError.is(outcome.error))).toBe(true);
      // Some were never written: carried over, then failed by destroy() rather than left waiting.
      expect(settled.some((outcome) => outcome.code === 'ERR_DESTROYED')).toBe(true);
    } finally {
      process.kill(redis.server.pid, 'SIGCONT');
    }
    expect(await failures.stop()).toEqual([]);
  });
});

describe('exclusive work and shutdown', () => {
  it('destroy() rejects exclusive work blocked on its own connection', async () => {
    const client = createClient(redis.url);
    const blocked = settle(client.exclusive((conn) => conn.do('BLPOP', 'never', 0)));
    await sleep(100);
    client.destroy(new Error('shutting down'));
    const outcome = await within(blocked, 2_000);
    expect(outcome).not.toBe('pending');
    expect(outcome).toMatchObject({ status: 'rejected' });
  });

  it('close() waits for exclusive work, and its time limit ends what will not finish', async () => {
    const client = createClient(redis.url);
    const finishing = client.exclusive(async (conn) => {
      await sleep(150);
      return conn.do('ECHO', 'done');
    });
    const blocked = settle(client.exclusive((conn) => conn.do('BLPOP', 'never', 0)));
    await sleep(50);
    const started = performance.now();
    await client.close({ timeoutMs: 500 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    expect(String(await finishing)).toBe('done');
    expect(await blocked).toMatchObject({ status: 'rejected' });
  });
});

describe('close() at awkward moments', () => {
  it("from a failed call's handler: calls carried over still get a connection, then it closes", async () => {
    // A stopped server takes no writes: the first big SET is written (it fails, sent: true) and
    // the rest wait unwritten until readTimeoutMs fails the connection and carries them over.
    const client = createClient(redis.url, { readTimeoutMs: 200, offlineWaitMs: 0 });
    await client.do('PING');
    process.kill(redis.server.pid, 'SIGSTOP');
    let closed: Promise<void> | undefined;
    let closedAt = 0;
    const value = 'v'.repeat(256 * 1024);
    const calls = Array.from({ length: 60 }, (_, index) =>
      settle(
        client.do('SET', `close-from-handler:${index}`, value).catch((error: unknown) => {
          closed ??= client.close().then(() => {
            closedAt = performance.now();
          });
          throw error;
        }),
      ),
    );
    await expect.poll(() => closed !== undefined, { timeout: 3_000 }).toBe(true);
    process.kill(redis.server.pid, 'SIGCONT');
    const outcomes = await within(Promise.all(calls), 5_000);
    expect(outcomes).not.toBe('pending');
    const settled = outcomes as Awaited<ReturnType<typeof settle>>[];
    const sentThenLost = settled.filter((outcome) => outcome.sent === true).length;
    const done = settled.filter((outcome) => outcome.status === 'fulfilled').length;
    expect(sentThenLost).toBeGreaterThan(0);
    expect(done).toBeGreaterThan(0);
    expect(sentThenLost + done).toBe(60);
    await closed;
    expect(closedAt).toBeGreaterThan(0);
    expect(client.status).toBe('closed');
  });

  it('close({ timeoutMs }) ends even while exclusive work awaits something else', async () => {
    const client = createClient(redis.url);
    const work = settle(
      client.exclusive(async (conn) => {
        await sleep(2_000);
        return conn.do('PING');
      }),
    );
    await sleep(50);
    const started = performance.now();
    await client.close({ timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await work).toMatchObject({ status: 'rejected' });
  });

  it('exclusive(work, { timeoutMs }) bounds the whole loan, blocked commands included', async () => {
    const client = createClient(redis.url);
    const started = performance.now();
    const outcome = await settle(
      client.exclusive((conn) => conn.do('BLPOP', 'never', 0), { timeoutMs: 200 }),
    );
    expect(outcome.error).toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(1_000);
    // The pool lends a fresh connection next: the blocked one was destroyed.
    expect(await client.exclusive((conn) => conn.do('PING'))).toBe('PONG');
    await client.close();
  });

  it('exclusive work that finished in time is not timed out by a slow return to the pool', async () => {
    const client = createClient(redis.url);
    let outcome: Promise<Awaited<ReturnType<typeof settle>>>;
    try {
      outcome = settle(
        client.exclusive(
          async (conn) => {
            await conn.do('WATCH', 'slow-return');
            // The pool's UNWATCH on return now waits for the stopped server.
            process.kill(redis.server.pid, 'SIGSTOP');
            return 'work done';
          },
          { timeoutMs: 300 },
        ),
      );
      await sleep(500);
    } finally {
      process.kill(redis.server.pid, 'SIGCONT');
    }
    expect(await outcome).toMatchObject({ status: 'fulfilled', value: 'work done' });
    await client.close();
  });

  it('a closing client that dials for calls it owes says closed once', async () => {
    const client = createClient('redis://127.0.0.1:1', {
      offlineWaitMs: 300,
      reconnect: { baseDelayMs: 10, maxDelayMs: 20 },
    });
    const events: StatusEvent[] = [];
    client.onStatus((event) => events.push(event));
    const owed = settle(client.do('PING'));
    await client.close();
    expect(await owed).toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(events.filter((event) => event.status === 'closed')).toHaveLength(1);
  });

  it('refuses a listener that is not a function', async () => {
    const client = createClient(redis.url);
    expect(() => client.onStatus(null as never)).toThrow(TypeError);
    expect(() => client.onPush(5 as never)).toThrow(TypeError);
    await client.close();
  });
});

describe('dial functions', () => {
  it('keeps trying after a dial function throws a TypeError once', async () => {
    let attempts = 0;
    const events: StatusEvent[] = [];
    const client = createClient(
      ({ signal }) => {
        attempts++;
        if (attempts === 1)
          throw new TypeError("Cannot read properties of undefined (reading 'host')");
        return dial(redis.url, { signal });
      },
      { reconnect: { baseDelayMs: 10, maxDelayMs: 20 } },
    );
    client.onStatus((event) => events.push(event));
    expect(await client.do('PING')).toBe('PONG');
    expect(attempts).toBe(2);
    // The first attempt failed before anyone could listen; the second connected.
    expect(events.map((event) => event.status)).toEqual(['ready']);
    await killClient(client);
    await client.close();
  });
});
