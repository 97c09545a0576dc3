// Review B: scan() across a failover of the shard it is scanning. README: "scan() runs SCAN ...
// on each master in turn, finding it by a slot it serves at each step, so a failover mid-scan
// goes on at the promoted replica. A key whose slot moves during the scan may be missed or seen
// twice." A SCAN cursor is a position in one process's hash table, whose bucket order depends on
// a hash seed each redis-server process draws at random when it starts: the promoted replica's
// table is not the master's.
import type { Reply } from '@x/resp';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { replicaOf } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('scan() while the shard being scanned fails over (CLUSTER FAILOVER, no slot moves)', () => {
  it('returns every key that existed throughout', async () => {
    await cluster.refresh();
    const first = cluster.nodes()[0];
    if (first?.role !== 'master') throw new Error('no master first');
    const ranges = first.slots;
    const inFirst = (key: string) => {
      const slot = keySlot(key);
      return ranges.some(([low, high]) => slot >= low && slot <= high);
    };
    const keys: string[] = [];
    for (let index = 0; keys.length < 2_000; index++)
      if (inFirst(`scan-fo:${index}`)) keys.push(`scan-fo:${index}`);
    for (let at = 0; at < keys.length; at += 200)
      await cluster.do('MSET', ...keys.slice(at, at + 200).flatMap((key) => [key, 'v']));
    const master = (suite.cluster.nodes as ServerNode[]).find(
      (node) => `${node.host}:${node.port}` === first.address,
    ) as ServerNode;
    const replica = await replicaOf(suite.cluster, master);

    const seen = new Set<string>();
    let failedOver = false;
    for await (const key of cluster.scan({ match: 'scan-fo:*', count: 20 })) {
      seen.add(String(key as Reply));
      if (!failedOver && seen.size >= 600) {
        failedOver = true;
        await suite.cluster.failover(replica);
        await cluster.refresh(); // any MOVED or the periodic refresh would do the same
      }
    }
    expect(failedOver).toBe(true);
    const missed = keys.filter((key) => !seen.has(key));
    // Observed: hundreds of the 2,000 keys missed: the cursor from the old master's table was
    // continued in the promoted replica's, whose bucket order differs.
    expect(missed.length).toBe(0);
  }, 60_000);
});
