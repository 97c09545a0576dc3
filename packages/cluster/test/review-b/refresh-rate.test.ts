// Review B: how often the map is asked for while a master stays down for good (no replica to
// promote; cluster-require-full-coverage no, so the other masters keep serving). The cluster
// client slows its own polling to "at most one CLUSTER SLOTS every 2 s" after 30 fast rounds
// (cluster.ts, #watchLostNodes); the issue asks for "no refresh storms (ioredis #203)".
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { nameOn, sleep } from './helpers.js';

const suite = useRedisCluster({ replicasPerMaster: 0, requireFullCoverage: false });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

async function clusterSlotsCalls(nodes: readonly (typeof suite.cluster.nodes)[number][]) {
  let calls = 0;
  for (const node of nodes) {
    const stats = String(await suite.cluster.call(node, 'INFO', 'commandstats'));
    const match = /cmdstat_cluster\|slots:calls=(\d+)/.exec(stats);
    calls += match === null ? 0 : Number(match[1]);
  }
  return calls;
}

describe('a shard subscription on a master that stays down', () => {
  it('does not keep asking for the map several times a second for as long as it is down', async () => {
    const [dead, ...alive] = await suite.cluster.masters();
    if (dead === undefined) throw new Error('no master');
    const channel = await nameOn(suite.cluster, dead, 'stays-down');
    await using subscriber = cluster.subscriber();
    await subscriber.ssubscribe(channel);
    await suite.cluster.killNode(dead);
    try {
      // Past the fast phase of both the cluster client (30 rounds of 100 ms) and anything else.
      await sleep(6_000);
      const before = await clusterSlotsCalls(alive);
      await sleep(6_000);
      const perSecond = ((await clusterSlotsCalls(alive)) - before) / 6;
      // Observed: about 4.4 per second, for as long as the master is down (the subscriber's
      // loop asks every 250 ms; the Topology's 100 ms minimum lets it). Without the subscriber
      // the same cluster client asks about 0.6 per second.
      expect(perSecond).toBeLessThanOrEqual(1);
    } finally {
      await dead.server.restart();
      await suite.cluster.waitUntilStable();
    }
  }, 60_000);
});
