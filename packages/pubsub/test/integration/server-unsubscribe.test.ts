// Redis 7 ends shard channel subscriptions itself: when a slot leaves a node (a migration, a
// failover that demotes the node, CLUSTER DELSLOTS), the node sends its subscribers
// `sunsubscribe <channel> <count left>` for each of the slot's channels and keeps the connection
// open. A one-node cluster and DELSLOTS/ADDSLOTS make that happen on demand.
import { type Connection, dial } from '@x/conn';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gap, Message, Subscriber, type SubscriberEvent, Subscription } from '../../src/index.js';

let server: RedisServer;
let admin: Connection;

beforeAll(async () => {
  server = await startRedisServer({ cluster: true });
  admin = await dial(server.url);
  await admin.do('CLUSTER', 'ADDSLOTSRANGE', 0, 16_383);
  for (let tries = 0; !String(await admin.do('CLUSTER', 'INFO')).includes('cluster_state:ok'); ) {
    if (++tries > 100) throw new Error('the one-node cluster did not come up');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

const slotOf = async (channel: string) => Number(await admin.do('CLUSTER', 'KEYSLOT', channel));

/** SPUBLISHes until a subscriber hears it (the subscriber may still be resubscribing). */
async function publishUntilHeard(channel: string, message: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await admin.do('SPUBLISH', channel, message).catch(() => 0)) === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nobody heard ${message} on ${channel}`);
}

const next = (subscriber: Subscriber) => subscriber.receiveWith({ timeoutMs: 5_000 });

describe.each([2, 3] as const)('a shard subscription the server ends, over RESP%i', (protocol) => {
  it('reconnects, subscribes again channel by channel, and yields a Gap', async () => {
    const [first, second] = [`moved-${protocol}`, `stays-${protocol}`];
    const slot = await slotOf(first);
    expect(await slotOf(second)).not.toBe(slot);
    const errors: unknown[] = [];
    const subscriber = new Subscriber({
      dial: ({ signal }) => dial(server.url, { protocol, signal }),
      minBackoffMs: 10,
      maxBackoffMs: 50,
      onReconnectError: (error) => errors.push(error),
    });
    await subscriber.ssubscribe(first);
    await subscriber.ssubscribe(second);

    await admin.do('CLUSTER', 'DELSLOTS', slot);
    // The slot has no owner now: resubscribing is refused (CLUSTERDOWN) until it has one again.
    for (let tries = 0; errors.length === 0; tries++) {
      expect(tries).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(errors[0]).toMatchObject({ code: 'CLUSTERDOWN' });
    await admin.do('CLUSTER', 'ADDSLOTS', slot);

    const gap = (await next(subscriber)) as Gap;
    expect(gap).toBeInstanceOf(Gap);
    expect(gap.cause).toEqual(new Subscription('sunsubscribe', first, 1));
    // Both come back, though their slots differ: one SSUBSCRIBE could not have named both.
    await publishUntilHeard(first, 'after');
    expect(await next(subscriber)).toEqual(new Message(first, Buffer.from('after'), true));
    await publishUntilHeard(second, 'too');
    expect(await next(subscriber)).toEqual(new Message(second, Buffer.from('too'), true));
    await subscriber.close();
  });

  it('with onServerUnsubscribe, forgets the channel and reports it instead', async () => {
    const [first, second] = [`handed-${protocol}`, `kept-${protocol}`];
    const slot = await slotOf(first);
    const ended: Subscription[] = [];
    const subscriber = new Subscriber({
      dial: ({ signal }) => dial(server.url, { protocol, signal }),
      minBackoffMs: 10,
      onServerUnsubscribe: (event) => ended.push(event),
    });
    await subscriber.ssubscribe(first);
    await subscriber.ssubscribe(second);
    await admin.do('CLUSTER', 'DELSLOTS', slot);
    await admin.do('CLUSTER', 'ADDSLOTS', slot);
    for (let tries = 0; ended.length === 0; tries++) {
      expect(tries).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ended).toEqual([new Subscription('sunsubscribe', first, 1)]);
    await publishUntilHeard(second, 'still here');
    expect(await next(subscriber)).toEqual(new Message(second, Buffer.from('still here'), true));
    // Forgotten: a reconnection does not bring it back.
    await admin.do('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await next(subscriber)).toBeInstanceOf(Gap);
    await publishUntilHeard(second, 'again');
    expect(await next(subscriber)).toEqual(new Message(second, Buffer.from('again'), true));
    expect(await admin.do('PUBSUB', 'SHARDNUMSUB', first)).toEqual([Buffer.from(first), 0]);
    await subscriber.close();
  });

  it('tells its own sunsubscribe confirmations from the server’s', async () => {
    const ended: Subscription[] = [];
    const events: SubscriberEvent[] = [];
    const subscriber = new Subscriber({
      dial: ({ signal }) => dial(server.url, { protocol, signal }),
      onServerUnsubscribe: (event) => ended.push(event),
    });
    const channel = `mine-${protocol}`;
    await subscriber.ssubscribe(channel);
    // Leave and come back at once, many times, named and unnamed: each confirmation is ours.
    await Promise.all([
      subscriber.sunsubscribe(channel),
      subscriber.ssubscribe(channel),
      subscriber.sunsubscribe(),
      subscriber.ssubscribe(channel),
      subscriber.sunsubscribe(channel, channel),
      subscriber.ssubscribe(channel),
    ]);
    await publishUntilHeard(channel, 'one');
    events.push(await next(subscriber));
    expect(events).toEqual([new Message(channel, Buffer.from('one'), true)]);
    expect(ended).toEqual([]);
    await subscriber.sunsubscribe();
    expect(await admin.do('SPUBLISH', channel, 'nobody')).toBe(0);
    expect(ended).toEqual([]);
    await subscriber.close();
  });
});
