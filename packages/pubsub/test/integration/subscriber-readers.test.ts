import { setTimeout as sleep } from 'node:timers/promises';
import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gap, Message, Subscriber } from '../../src/index.js';

const redis = useRedisServer();
/** How long CLIENT PAUSE holds the server's clients. */
const PAUSE_MS = 500;
/** A generous bound for an event the server has already sent: only a lost one takes this long. */
const EVENT_LIMIT_MS = 10_000;
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());

/** Rejects when `promise` has not settled within `limitMs`: a hang fails instead of stalling. */
function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} still pending after ${limitMs} ms`)),
      limitMs,
    );
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

async function subscribers(command: 'NUMSUB' | 'SHARDNUMSUB', channel: string): Promise<number> {
  const reply = (await admin.do('PUBSUB', command, channel)) as [Buffer, number];
  return reply[1];
}

/** Publishes `0`..`count - 1`, each to exactly one subscriber: what follows is the library's job. */
async function publishAll(channel: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++)
    expect(await admin.do('PUBLISH', channel, String(index))).toBe(1);
}

/** A dial factory; `options?` so that the tests exercise their own defect on older code too. */
const dialWith =
  (protocol: 2 | 3) =>
  (options?: { signal: AbortSignal }): Promise<Connection> =>
    dial(redis.url, { protocol, ...options });

describe.each([2, 3] as const)('Subscriber readers over RESP%i', (protocol) => {
  // CLIENT PAUSE holds every client's commands, so the server cannot confirm a SUBSCRIBE sent
  // during the pause: a subscribe() that resolves meanwhile did not wait for the server.
  it.each(['new', 'open'] as const)(
    'resolves subscribe() on a %s connection only once the server holds the subscription',
    async (connection) => {
      const subscriber = new Subscriber({ dial: dialWith(protocol) });
      if (connection === 'open') await subscriber.subscribe(`warm-${protocol}`);
      const channel = `confirmed-${connection}-${protocol}`;
      await admin.do('CLIENT', 'PAUSE', PAUSE_MS, 'ALL');
      let subscribed = false;
      const subscribing = subscriber.subscribe(channel).then(() => {
        subscribed = true;
      });
      await sleep(PAUSE_MS / 5);
      expect(subscribed).toBe(false);
      await within(subscribing, EVENT_LIMIT_MS, 'subscribe');
      expect(await admin.do('PUBLISH', channel, 'first')).toBe(1);
      expect(await within(subscriber.receive(), EVENT_LIMIT_MS, 'the message')).toEqual(
        new Message(channel, Buffer.from('first')),
      );
      await subscriber.close();
    },
  );

  // Over RESP2 the connection's receive() then rejects at once (nothing can arrive): a pump that
  // retried it at once spun in microtasks and froze the process, timers included.
  it('keeps working after every subscription is gone, and delivers after the next subscribe', async () => {
    const subscriber = new Subscriber({ dial: dialWith(protocol) });
    await subscriber.subscribe(`left-${protocol}`);
    await subscriber.unsubscribe();
    await sleep(20);
    const channel = `rejoined-${protocol}`;
    await within(subscriber.subscribe(channel), EVENT_LIMIT_MS, 'subscribe');
    expect(await admin.do('PUBLISH', channel, 'back')).toBe(1);
    expect(await within(subscriber.receive(), EVENT_LIMIT_MS, 'the message')).toEqual(
      new Message(channel, Buffer.from('back')),
    );
    await subscriber.close();
  });

  it('gives each event to one of two concurrent for-await readers, and ends both on close', async () => {
    const subscriber = new Subscriber({
      dial: dialWith(protocol),
    });
    await subscriber.subscribe(`two-readers-${protocol}`);
    const seen: string[][] = [[], []];
    let allSeen = () => {};
    const tenSeen = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    const readers = seen.map(async (into) => {
      for await (const event of subscriber) {
        into.push((event as Message).text);
        if (seen[0]!.length + seen[1]!.length === 10) allSeen();
      }
    });
    await publishAll(`two-readers-${protocol}`, 10);
    await within(tenSeen, EVENT_LIMIT_MS, 'the tenth message');
    expect(seen[0]!.length).toBeGreaterThan(0);
    expect(seen[1]!.length).toBeGreaterThan(0);
    expect([...seen[0]!, ...seen[1]!].map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, index) => index),
    );
    await subscriber.close();
    await within(Promise.all(readers), EVENT_LIMIT_MS, 'a reader');
  });

  it('resolves concurrent receive() calls with different events', async () => {
    const subscriber = new Subscriber({
      dial: dialWith(protocol),
    });
    await subscriber.subscribe(`receivers-${protocol}`);
    const first = subscriber.receive();
    const second = subscriber.receiveWith({ timeoutMs: EVENT_LIMIT_MS });
    await publishAll(`receivers-${protocol}`, 2);
    const events = await within(Promise.all([first, second]), EVENT_LIMIT_MS, 'a receive');
    expect(events).toEqual([
      new Message(`receivers-${protocol}`, Buffer.from('0')),
      new Message(`receivers-${protocol}`, Buffer.from('1')),
    ]);
    await subscriber.close();
    await expect(subscriber.receive()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('forgets shard channels after sunsubscribe: a reconnection does not restore them', async () => {
    const subscriber = new Subscriber({
      dial: dialWith(protocol),
      minBackoffMs: 10,
    });
    const shard = `shard-forgotten-${protocol}`;
    await subscriber.subscribe(`kept-${protocol}`);
    await subscriber.ssubscribe(shard);
    expect(await subscribers('SHARDNUMSUB', shard)).toBe(1);
    await subscriber.sunsubscribe(shard);
    expect(await subscribers('SHARDNUMSUB', shard)).toBe(0);
    await admin.do('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await within(subscriber.receive(), EVENT_LIMIT_MS, 'the gap')).toBeInstanceOf(Gap);
    expect(await subscribers('NUMSUB', `kept-${protocol}`)).toBe(1);
    expect(await subscribers('SHARDNUMSUB', shard)).toBe(0);
    await subscriber.close();
  });
});

describe('Subscriber options', () => {
  it('takes maxBufferedReplies, refuses a nonsense value, and delivers everything past it', async () => {
    const dialer = dialWith(2);
    expect(() => new Subscriber({ dial: dialer, maxBufferedReplies: 0 })).toThrow(RangeError);
    const subscriber = new Subscriber({ dial: dialer, maxBufferedReplies: 20 });
    await subscriber.subscribe('small-buffer');
    await publishAll('small-buffer', 500);
    const texts: string[] = [];
    while (texts.length < 500)
      texts.push(((await subscriber.receiveWith({ timeoutMs: EVENT_LIMIT_MS })) as Message).text);
    expect(texts).toEqual(Array.from({ length: 500 }, (_, index) => String(index)));
    await subscriber.close();
  });

  it('passes dial a signal that aborts when the subscriber closes', async () => {
    const signals: AbortSignal[] = [];
    const subscriber = new Subscriber({
      // A dial that never finishes unless its signal aborts it.
      dial: ({ signal }) => {
        signals.push(signal);
        return new Promise<Connection>((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      },
    });
    const subscribing = subscriber.subscribe('never-connected').catch((error: unknown) => error);
    await expect.poll(() => signals.length).toBe(1);
    expect(signals[0]!.aborted).toBe(false);
    await subscriber.close();
    expect(signals[0]!.aborted).toBe(true);
    expect(await within(subscribing, EVENT_LIMIT_MS, 'subscribe')).toMatchObject({
      code: 'ERR_CLOSED',
    });
  });
});

describe.each([2, 3] as const)(
  'Subscriber and a server that refuses a channel (ACL), RESP%i',
  (protocol) => {
    it('closes the refused connection, and the refused channel does not poison later subscribes', async () => {
      await admin.do(
        'ACL',
        'SETUSER',
        'narrow',
        'on',
        '>secret',
        '~*',
        '+@all',
        'resetchannels',
        '&open*',
      );
      const subscriber = new Subscriber({
        dial: (options?: { signal: AbortSignal }) =>
          dial(redis.url, { protocol, username: 'narrow', password: 'secret', ...options }),
      });
      await expect(subscriber.subscribe('closed-channel')).rejects.toMatchObject({
        code: 'NOPERM',
      });
      const openConnections = async () =>
        String(await admin.do('CLIENT', 'LIST'))
          .split('\n')
          .filter((line) => line.includes(' user=narrow ')).length;
      // The server notices the closed socket on its own time.
      await expect.poll(openConnections, { timeout: EVENT_LIMIT_MS }).toBe(0);
      await within(subscriber.subscribe(`open-channel-${protocol}`), EVENT_LIMIT_MS, 'subscribe');
      await admin.do('PUBLISH', `open-channel-${protocol}`, 'welcome');
      expect(await subscriber.receiveWith({ timeoutMs: EVENT_LIMIT_MS })).toEqual(
        new Message(`open-channel-${protocol}`, Buffer.from('welcome')),
      );
      await subscriber.close();
    });
  },
);
