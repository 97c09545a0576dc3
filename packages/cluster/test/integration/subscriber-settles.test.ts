// Every promise of a ClusterSubscriber settles, whatever the nodes do. A standalone redis-server
// (Redis 7 takes SSUBSCRIBE outside cluster mode too) stands for a master that owns every slot,
// and a hand-made map points at it, or at a port nobody listens on.
import { Gap, Message } from '@x/pubsub';
import { freePort, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterRoutingError,
  ClusterSubscriber,
  type ClusterSubscriberOptions,
} from '../../src/index.js';
import { parseClusterSlots } from '../../src/slot-map.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A subscriber whose map gives every slot to the master at `port`. */
function subscriberOn(
  port: number,
  options: ClusterSubscriberOptions = {},
  dialOptions: { username?: string; password?: string } = {},
) {
  const map = parseClusterSlots([[0, 16_383, ['127.0.0.1', port, 'id']]], '127.0.0.1');
  let refreshes = 0;
  const subscriber = new ClusterSubscriber(
    { map: () => map, refresh: async () => void refreshes++, dialOptions, retryWaitMs: 10_000 },
    options,
  );
  return { subscriber, refreshes: () => refreshes };
}

describe('a ClusterSubscriber whose master is unreachable', () => {
  it('rejects ssubscribe and subscribe after subscribeWaitMs, naming what it tried', async () => {
    const { subscriber, refreshes } = subscriberOn(await freePort(), { subscribeWaitMs: 300 });
    const started = performance.now();
    const shard = subscriber.ssubscribe('a', 'b');
    const plain = subscriber.subscribe('c');
    await expect(shard).rejects.toBeInstanceOf(ClusterRoutingError);
    await expect(shard).rejects.toMatchObject({
      code: 'ERR_CLUSTER_UNAVAILABLE',
      message: expect.stringMatching(
        /^SSUBSCRIBE a b: no master took the subscription within 300 ms: .*cannot connect/,
      ),
    });
    await expect(plain).rejects.toMatchObject({ code: 'ERR_CLUSTER_UNAVAILABLE' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    // It asked for a fresh map while it waited.
    expect(refreshes()).toBeGreaterThan(0);
    await subscriber.close();
  });

  it('close() ends a waiting subscribe, readers and iteration at once', async () => {
    const { subscriber } = subscriberOn(await freePort(), { subscribeWaitMs: 60_000 });
    const shard = subscriber.ssubscribe('a');
    const plain = subscriber.psubscribe('p.*');
    const reading = subscriber.receive();
    const iterating = subscriber[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await subscriber.close();
    await expect(shard).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(plain).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(reading).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(iterating).resolves.toEqual({ done: true, value: undefined });
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('a ClusterSubscriber whose master goes away', () => {
  it('close() while its connections are reconnecting settles everything; later calls reject', async () => {
    const restarting = await startRedisServer();
    const errors: unknown[] = [];
    const { subscriber } = subscriberOn(restarting.port, {
      minBackoffMs: 10,
      onReconnectError: (error) => errors.push(error),
    });
    await subscriber.ssubscribe('shard');
    await subscriber.subscribe('plain');
    const { dial } = await import('@x/conn');
    const publisher = await dial(restarting.url);
    expect(await publisher.do('SPUBLISH', 'shard', 'one')).toBe(1);
    expect(await subscriber.receive()).toEqual(new Message('shard', Buffer.from('one'), true));
    await publisher.close();

    await restarting.kill();
    for (let tries = 0; errors.length < 2; tries++) {
      expect(tries).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reading = subscriber.receive();
    await subscriber.close();
    await expect(reading).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(subscriber.receive()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(subscriber.ssubscribe('x')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(subscriber.subscribe('x')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(subscriber.sunsubscribe()).resolves.toBeUndefined();
    // No dial after close: the restarted server sees no subscriber come back.
    const reconnects = errors.length;
    await restarting.restart();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const admin = await dial(restarting.url);
    expect(await admin.do('PUBSUB', 'NUMSUB', 'plain')).toEqual([Buffer.from('plain'), 0]);
    expect(await admin.do('PUBSUB', 'SHARDNUMSUB', 'shard')).toEqual([Buffer.from('shard'), 0]);
    expect(errors.length).toBe(reconnects);
    await admin.close();
    await restarting.stop();
  });

  it('reports its own reconnection to the same master as a Gap and resubscribes', async () => {
    const restarting = await startRedisServer();
    const { subscriber } = subscriberOn(restarting.port, { minBackoffMs: 10 });
    await subscriber.ssubscribe('s1', 's2');
    const { dial } = await import('@x/conn');
    await restarting.restart();
    const publisher = await dial(restarting.url);
    for (let tries = 0; (await publisher.do('SPUBLISH', 's2', 'back')) !== 1; tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await subscriber.receive()).toBeInstanceOf(Gap);
    expect(await subscriber.receive()).toEqual(new Message('s2', Buffer.from('back'), true));
    await subscriber.close();
    await publisher.close();
    await restarting.stop();
  });
});

describe('a ClusterSubscriber the server refuses', () => {
  it('rejects a refused subscribe at once, keeps the others, and refuses an empty ssubscribe', async () => {
    const { dial } = await import('@x/conn');
    const admin = await dial(server.url);
    await admin.do(
      'ACL',
      'SETUSER',
      'limited',
      'on',
      '>secret',
      'resetchannels',
      '&ok*',
      '+@all',
      '~*',
    );
    const { subscriber } = subscriberOn(
      server.port,
      {},
      { username: 'limited', password: 'secret' },
    );
    await subscriber.ssubscribe('ok-1');
    const started = performance.now();
    await expect(subscriber.ssubscribe('forbidden')).rejects.toMatchObject({
      name: 'ReplyError',
      code: 'NOPERM',
    });
    await expect(subscriber.subscribe('forbidden')).rejects.toMatchObject({ code: 'NOPERM' });
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(subscriber.ssubscribe()).rejects.toBeInstanceOf(TypeError);
    expect(await admin.do('SPUBLISH', 'ok-1', 'still')).toBe(1);
    expect(await subscriber.receive()).toEqual(new Message('ok-1', Buffer.from('still'), true));
    await subscriber.close();
    await admin.do('ACL', 'DELUSER', 'limited');
    await admin.close();
  });
});
