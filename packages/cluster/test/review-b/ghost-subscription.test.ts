// Review B: an ssubscribe() that gave up while its master was down. README: "While a slot's
// master is down ... it keeps trying for subscribeWaitMs ..., then rejects with a
// ClusterRoutingError (ERR_CLUSTER_UNAVAILABLE) listing the tries, and forgets what it asked for."
// Here the master comes back (restarted before any failover: it has no replica) and the
// subscriber already held another shard channel on it.
import { Gap, type SubscriberEvent } from '@x/pubsub';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ClusterRoutingError } from '../../src/index.js';
import { nameOn, sleep } from './helpers.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('an ssubscribe() that gave up while its master was down', () => {
  it('is not subscribed when the master comes back', async () => {
    const master = (await suite.cluster.masters())[0] as ServerNode;
    const held = await nameOn(suite.cluster, master, 'held');
    const refused = await nameOn(suite.cluster, master, 'gave-up');
    await using subscriber = cluster.subscriber({
      subscribeWaitMs: 300,
      minBackoffMs: 10,
      maxBackoffMs: 100,
    });
    await subscriber.ssubscribe(held);

    await suite.cluster.killNode(master);
    await expect(subscriber.ssubscribe(refused)).rejects.toBeInstanceOf(ClusterRoutingError);
    await master.server.restart();
    await suite.cluster.waitUntilStable();

    // The held channel comes back after a Gap (the connection to the master was lost).
    const events: SubscriberEvent[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      if (Number(await suite.cluster.call(master, 'SPUBLISH', held, 'back')) === 1) break;
      await sleep(50);
    }
    for (;;) {
      const event = await subscriber.receiveWith({ timeoutMs: 3_000 });
      events.push(event);
      if (event.type === 'message') break;
    }
    expect(events[0]).toBeInstanceOf(Gap);

    // Observed: 1 receiver, and the message reaches the caller who was told the subscribe
    // failed; sunsubscribe(refused) does not remove it either (the subscriber forgot it, its
    // node connection did not). Expected: 0.
    const receivers = await suite.cluster.call(master, 'SPUBLISH', refused, 'ghost');
    const delivered = await subscriber.receiveWith({ timeoutMs: 500 }).then(
      (event) => event.type === 'message' && event.channel === refused,
      () => false,
    );
    await subscriber.sunsubscribe(refused);
    const afterUnsubscribe = await suite.cluster.call(master, 'SPUBLISH', refused, 'ghost');
    expect({ receivers, delivered, afterUnsubscribe }).toEqual({
      receivers: 0,
      delivered: false,
      afterUnsubscribe: 0,
    });
  }, 40_000);
});
