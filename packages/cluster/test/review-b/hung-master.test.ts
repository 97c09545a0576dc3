// Review B: a master that hangs (SIGSTOP: the process is frozen, its sockets stay open, the kernel
// still accepts connections) is what cluster-node-timeout and replica promotion exist for. The
// README: "A shard subscription follows its slot ... Either way the readers get a Gap before any
// message of the new subscription"; the class doc: "Every loss yields a Gap". A frozen master
// neither closes the subscriber's connections nor sends `sunsubscribe`, so nothing tells the
// subscriber to look at the map again.
import { Gap, type SubscriberEvent } from '@x/pubsub';
import type { Reply } from '@x/resp';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { nameOn, ownerPort, replicaOf, until } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('a master that hangs and is failed over', () => {
  it('the subscriber follows its shard channel and channel to the promoted replica (or at least yields a Gap)', async () => {
    const subscriber = cluster.subscriber({ protocol: 3 });
    let frozen: ServerNode | undefined;
    try {
      await subscriber.subscribe('hung-plain');
      const masters = await suite.cluster.masters();
      for (const node of masters) {
        const reply = (await suite.cluster.call(node, 'PUBSUB', 'NUMSUB', 'hung-plain')) as Reply[];
        if (reply[1] === 1) frozen = node;
      }
      if (frozen === undefined) throw new Error('the channel subscription is on no master');
      const shard = await nameOn(suite.cluster, frozen, 'hung-shard');
      await subscriber.ssubscribe(shard);
      const replica = await replicaOf(suite.cluster, frozen);
      const bystander = masters.find((node) => node !== frozen) as ServerNode;
      expect(await suite.cluster.call(frozen, 'SPUBLISH', shard, 'before')).toBe(1);
      expect((await subscriber.receiveWith({ timeoutMs: 2_000 })).type).toBe('message');

      process.kill(frozen.server.pid, 'SIGSTOP');
      // cluster-node-timeout is 1 s: the replica takes over within a few seconds.
      await until('the replica to be promoted', async () => {
        const role = (await suite.cluster.call(replica, 'ROLE')) as Reply[];
        return String(role[0]) === 'master';
      });
      await until(
        'the other masters to agree',
        async () => (await ownerPort(suite.cluster, bystander, keySlot(shard))) === replica.port,
      );
      const promotedAt = performance.now();

      // Publish on the promoted master (shard) and on a live master (channel) for 10 s.
      const events: SubscriberEvent[] = [];
      while (performance.now() - promotedAt < 10_000 && !events.some((e) => e.type !== 'gap')) {
        await suite.cluster.call(replica, 'SPUBLISH', shard, 'after');
        await suite.cluster.call(bystander, 'PUBLISH', 'hung-plain', 'after');
        const event = await subscriber.receiveWith({ timeoutMs: 250 }).catch(() => null);
        if (event !== null) events.push(event);
      }
      // Observed: no event at all, for as long as the master stays frozen (10 s here); the
      // replica's SPUBLISH reports 0 receivers. Expected: a Gap, then the messages.
      expect(events.filter((event) => event instanceof Gap).length).toBeGreaterThanOrEqual(1);
      expect(events.some((event) => event.type === 'message')).toBe(true);
    } finally {
      if (frozen !== undefined) process.kill(frozen.server.pid, 'SIGCONT');
      await subscriber.close();
      if (frozen !== undefined) await suite.cluster.waitUntilStable(20_000);
    }
  }, 60_000);
});
