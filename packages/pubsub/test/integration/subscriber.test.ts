import { type Connection, dial } from '@x/conn';
import { startRedisServer, useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gap, Message, PMessage, Subscriber, type SubscriberEvent } from '../../src/index.js';

const redis = useRedisServer();
let publisher: Connection;

beforeAll(async () => {
  publisher = await dial(redis.url);
});
afterAll(() => publisher?.close());

/** Publishes `message` until someone receives it (the subscriber may still be reconnecting). */
async function publishUntilHeard(
  conn: Connection,
  channel: string,
  message: string,
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await conn.do('PUBLISH', channel, message).catch(() => 0)) === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nobody heard ${message} on ${channel}`);
}

describe.each([2, 3] as const)('Subscriber over RESP%i', (protocol) => {
  it('resubscribes after CLIENT KILL TYPE pubsub and reports the gap', async () => {
    const subscriber = new Subscriber({
      dial: () => dial(redis.url, { protocol }),
      minBackoffMs: 10,
    });
    await subscriber.subscribe('alerts');
    await subscriber.psubscribe('metrics.*');
    const events = subscriber[Symbol.asyncIterator]();
    await publishUntilHeard(publisher, 'alerts', 'before');
    expect((await events.next()).value).toEqual(new Message('alerts', Buffer.from('before')));

    await publisher.do('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const gap = (await events.next()).value as SubscriberEvent;
    expect(gap).toBeInstanceOf(Gap);
    expect((gap as Gap).until.getTime()).toBeGreaterThanOrEqual((gap as Gap).since.getTime());

    await publishUntilHeard(publisher, 'alerts', 'after');
    expect((await events.next()).value).toEqual(new Message('alerts', Buffer.from('after')));
    await publishUntilHeard(publisher, 'metrics.cpu', '42');
    expect((await events.next()).value).toEqual(
      new PMessage('metrics.*', 'metrics.cpu', Buffer.from('42')),
    );

    await subscriber.close();
    expect((await events.next()).done).toBe(true);
  });
});

describe('Subscriber and a server restart', () => {
  it('keeps trying until the server is back, then resubscribes', async () => {
    const restarting = await startRedisServer();
    const errors: unknown[] = [];
    const subscriber = new Subscriber({
      dial: () => dial(restarting.url, { connectTimeoutMs: 500 }),
      minBackoffMs: 10,
      maxBackoffMs: 50,
      onReconnectError: (error) => errors.push(error),
    });
    await subscriber.subscribe('jobs');
    const events = subscriber[Symbol.asyncIterator]();
    await restarting.restart('SIGKILL');
    const after = await dial(restarting.url);
    await publishUntilHeard(after, 'jobs', 'resumed');
    // A restart can cost more than one reconnection (a connection made while the server starts
    // may be reset): every loss is reported, then the message arrives.
    const seen: SubscriberEvent[] = [];
    for (;;) {
      const event = (await events.next()).value as SubscriberEvent;
      seen.push(event);
      if (!(event instanceof Gap)) break;
    }
    expect(seen[0]).toBeInstanceOf(Gap);
    expect(seen.at(-1)).toEqual(new Message('jobs', Buffer.from('resumed')));
    await subscriber.close();
    await after.close();
    await restarting.stop();
  });
});

describe('Subscriber.close while reconnecting', () => {
  it('leaves no connection behind', async () => {
    const restarting = await startRedisServer();
    // A slow dial, so that close() lands while a reconnection is still dialling.
    const slowDial = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return dial(restarting.url, { clientName: 'late-sub' });
    };
    const subscriber = new Subscriber({ dial: slowDial, minBackoffMs: 10 });
    await subscriber.subscribe('c');
    await restarting.restart('SIGKILL');
    await subscriber.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const admin = await dial(restarting.url);
    expect(String(await admin.do('CLIENT', 'LIST'))).not.toContain('name=late-sub');
    await admin.close();
    await restarting.stop();
  });
});
