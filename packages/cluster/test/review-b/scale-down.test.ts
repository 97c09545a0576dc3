// Review B: a master taken out of the cluster the way `redis-cli --cluster del-node` does it:
// its slots resharded to the others, CLUSTER FORGET on every other node, then CLUSTER RESET SOFT
// on the removed node, which keeps running (redis-cli does not shut it down). The issue names
// "node-redis: stale topology after a scale-down, #2806" among the complaints to avoid.
import { Message, type SubscriberEvent } from '@x/pubsub';
import type { Reply } from '@x/resp';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('the master that holds the channel subscription is removed from the cluster', () => {
  it('the subscriber moves its channels to a master still in the cluster (with a Gap)', async () => {
    await using subscriber = cluster.subscriber({ protocol: 3 });
    await subscriber.subscribe('scale-down');
    let holder: ServerNode | undefined;
    for (const node of await suite.cluster.masters()) {
      const reply = (await suite.cluster.call(node, 'PUBSUB', 'NUMSUB', 'scale-down')) as Reply[];
      if (reply[1] === 1) holder = node;
    }
    if (holder === undefined) throw new Error('the channel subscription is on no master');
    const server = holder.server as { stop: () => Promise<void> };
    const realStop = server.stop;
    // removeNode() ends with stopping the node; redis-cli del-node resets it instead.
    const removed = holder;
    server.stop = async () => {
      await suite.cluster.call(removed, 'CLUSTER', 'RESET', 'SOFT');
    };
    try {
      await suite.cluster.removeNode(holder);
      await cluster.refresh();
      expect(cluster.nodes().map((node) => node.address)).not.toContain(
        `${holder.host}:${holder.port}`,
      );
      const remaining = cluster.nodes().length;
      expect(remaining).toBe(2);
      // Every PUBLISH in the cluster, through the cluster client and on each remaining master.
      const events: SubscriberEvent[] = [];
      const deadline = performance.now() + 5_000;
      while (performance.now() < deadline && !events.some((event) => event.type === 'message')) {
        await cluster.do('PUBLISH', 'scale-down', 'hello');
        const event = await subscriber.receiveWith({ timeoutMs: 100 }).catch(() => null);
        if (event !== null) events.push(event);
      }
      // Observed: nothing in 5 s (or ever): the channel connection stays on the removed node,
      // which no PUBLISH in the cluster reaches any more, and no Gap says so.
      expect(events.map((event) => event.type)).toContain('gap');
      expect(events.at(-1)).toEqual(new Message('scale-down', Buffer.from('hello')));
    } finally {
      server.stop = realStop;
      await realStop();
    }
  }, 60_000);
});
