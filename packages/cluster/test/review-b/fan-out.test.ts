// Review B: commands the server tags request_policy:all_nodes (SCRIPT LOAD, CONFIG SET, ...) go
// to every master and every replica. README: "all_nodes to every node". The issue: "opaque
// ClusterAllFailedError (ioredis #1103)" is among the complaints to avoid; the README, for
// replica reads: "a replica that is down costs no wait".
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { until, within } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('SCRIPT LOAD while one replica is dead', () => {
  it('settles promptly once the cluster has flagged the replica failed, and an error names it', async () => {
    await cluster.refresh();
    const replica = (await suite.cluster.replicas())[0] as (typeof suite.cluster.nodes)[number];
    const master = (await suite.cluster.masters())[0] as (typeof suite.cluster.nodes)[number];
    await suite.cluster.killNode(replica);
    try {
      // Every other node sees it as failed (not just suspected): CLUSTER SLOTS leaves it out.
      await until('the replica to be flagged fail', async () => {
        const nodes = String(await suite.cluster.call(master, 'CLUSTER', 'NODES'));
        const line = nodes.split('\n').find((entry) => entry.includes(`:${replica.port}@`));
        return line !== undefined && / (slave|replica),fail /.test(`${line} `.replace(/\s+/g, ' '));
      });
      const started = performance.now();
      const outcome = await within(cluster.do('SCRIPT', 'LOAD', 'return 1'), 12_000);
      const tookMs = performance.now() - started;
      const message = outcome.status === 'rejected' ? String(outcome.reason) : '';
      // Observed: ConnectionError (ERR_NOT_CONNECTED) "no connection to the server within 10000
      // ms (offlineWaitMs): the command was not sent" after 10 s, naming no node, though every
      // master and live replica loaded the script; CONFIG SET behaves the same. The map keeps
      // the dead replica until the next periodic refresh (30 s): lost replicas start no refresh.
      expect(tookMs).toBeLessThan(3_000);
      if (outcome.status === 'rejected') expect(message).toContain(String(replica.port));
    } finally {
      await replica.server.restart();
      await suite.cluster.waitUntilStable();
    }
  }, 60_000);
});
