// Failovers under load on a real cluster (cluster-node-timeout 1 s): a manual CLUSTER FAILOVER,
// a master killed with SIGKILL, and a node taken out of the cluster. Every call must settle; how
// long callers waited is measured and printed.
import { ConnectionError } from '@x/conn';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close();
});

/** One key per master at start, so that a load touches every master. */
async function keysOnEveryMaster(prefix: string, perMaster: number): Promise<string[]> {
  const masters = await suite.cluster.masters();
  const owners = await Promise.all(
    masters.map(async (node) => ({ node, slots: new Set<number>() })),
  );
  const keys: string[] = [];
  const counts = new Map<string, number>();
  for (let index = 0; keys.length < perMaster * masters.length; index++) {
    const key = `${prefix}:${index}`;
    const owner = (await suite.cluster.nodeForSlot(keySlot(key))).id;
    if ((counts.get(owner) ?? 0) >= perMaster) continue;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    keys.push(key);
  }
  expect(owners).toHaveLength(3);
  return keys;
}

interface LoadResult {
  readonly ok: number;
  readonly errors: unknown[];
  readonly maxWaitMs: number;
  /** Writes issued after `markAt` that succeeded. */
  readonly okAfterMark: number;
}

/** INCRs on `keys`, `concurrency` at a time, until `stop()`; records how long each call took. */
function runLoad(keys: string[], concurrency: number) {
  let stopping = false;
  let ok = 0;
  let okAfterMark = 0;
  let marked = false;
  let maxWaitMs = 0;
  const errors: unknown[] = [];
  const worker = async (offset: number) => {
    for (let index = offset; !stopping; index += concurrency) {
      const key = keys[index % keys.length] as string;
      const afterMark = marked;
      const started = performance.now();
      try {
        await cluster.do('INCR', key);
        ok++;
        if (afterMark) okAfterMark++;
      } catch (error) {
        errors.push(error);
      }
      maxWaitMs = Math.max(maxWaitMs, performance.now() - started);
    }
  };
  const workers = Array.from({ length: concurrency }, (_, offset) => worker(offset));
  return {
    mark: () => {
      marked = true;
    },
    async stop(): Promise<LoadResult> {
      stopping = true;
      await Promise.all(workers);
      return { ok, errors, maxWaitMs, okAfterMark };
    },
  };
}

async function replicaOf(master: ServerNode): Promise<ServerNode> {
  for (const node of await suite.cluster.replicas()) {
    const info = String(await suite.cluster.call(node, 'INFO', 'replication'));
    if (info.includes(`master_port:${master.port}`)) return node;
  }
  throw new Error(`no replica of ${master.port}`);
}

describe('failover under load', () => {
  it('CLUSTER FAILOVER: every call settles, none fails, writes go on on the new master', async () => {
    const keys = await keysOnEveryMaster('manual', 10);
    const master = await suite.cluster.nodeForSlot(keySlot(keys[0] as string));
    const replica = await replicaOf(master);
    const load = runLoad(keys, 30);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await suite.cluster.failover(replica);
    const failoverMs = performance.now() - started;
    load.mark();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const result = await load.stop();
    console.log(
      `manual failover: ${failoverMs.toFixed(0)} ms; ${result.ok} calls ok, ${result.errors.length} failed, longest call ${result.maxWaitMs.toFixed(0)} ms`,
    );
    expect(result.errors).toEqual([]);
    expect(result.okAfterMark).toBeGreaterThan(0);
    const total = (await Promise.all(keys.map((key) => cluster.do('GET', key)))).reduce(
      (sum: number, value) => sum + Number(value),
      0,
    );
    expect(total).toBe(result.ok);
    // The promoted node serves the slot now, as the client's map says.
    await cluster.refresh();
    const owner = cluster
      .nodes()
      .find((node) => node.role === 'master' && node.address === `${replica.host}:${replica.port}`);
    expect(owner).toBeDefined();
  }, 30_000);

  it('kill -9 of a master: every call settles, only writes in flight fail, writes resume after promotion', async () => {
    const keys = await keysOnEveryMaster('killed', 10);
    const victim = await suite.cluster.nodeForSlot(keySlot(keys[0] as string));
    const victimKeys = keys.filter((_, index) => index % 3 === 0);
    const load = runLoad(keys, 30);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await suite.cluster.killNode(victim);
    const killedAt = performance.now();
    const promotion = await suite.cluster.waitForPromotion(victim);
    // A write to the dead master's slots, issued after the promotion, must succeed at once-ish.
    const firstWrite = performance.now();
    await cluster.do('INCR', 'after-promotion:{x}');
    for (const key of victimKeys) await cluster.do('EXISTS', key);
    const firstWriteMs = performance.now() - firstWrite;
    load.mark();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    const settledAfterKillMs = performance.now() - killedAt;
    console.log(
      `kill -9: promotion after ${promotion.elapsedMs.toFixed(0)} ms; ${result.ok} calls ok, ${result.errors.length} failed (in flight at the kill), longest call ${result.maxWaitMs.toFixed(0)} ms; first calls after promotion took ${firstWriteMs.toFixed(0)} ms`,
    );
    // Only writes that were on the wire when the master died may fail, and they say so.
    for (const error of result.errors) {
      expect(ConnectionError.is(error)).toBe(true);
      expect((error as ConnectionError).sent).toBe(true);
    }
    expect(result.errors.length).toBeLessThanOrEqual(30);
    expect(result.okAfterMark).toBeGreaterThan(0);
    // No caller waited longer than the failover itself plus a margin.
    expect(result.maxWaitMs).toBeLessThan(promotion.elapsedMs + 3_000);
    expect(settledAfterKillMs).toBeLessThan(15_000);
    await victim.server.restart();
    await suite.cluster.waitUntilStable();
  }, 40_000);

  it('retries reads that were in flight when their master died (read-only commands are safe twice)', async () => {
    const keys = await keysOnEveryMaster('reads', 5);
    await Promise.all(keys.map((key) => cluster.do('SET', key, key)));
    const victim = await suite.cluster.nodeForSlot(keySlot(keys[0] as string));
    const reads = Array.from({ length: 200 }, (_, index) =>
      cluster.do('GET', keys[index % keys.length] as string),
    );
    await suite.cluster.killNode(victim);
    const values = await Promise.allSettled(reads);
    const failed = values.filter((value) => value.status === 'rejected');
    expect(failed).toEqual([]);
    await suite.cluster.waitForPromotion(victim);
    const after = await Promise.all(keys.map((key) => cluster.do('GET', key)));
    expect(after.map(String)).toEqual(keys);
    await victim.server.restart();
    await suite.cluster.waitUntilStable();
  }, 40_000);
});

describe('nodes that leave', () => {
  it('drops a node removed from the cluster from its map and closes its client', async () => {
    const replicas = await suite.cluster.replicas();
    const leaving = replicas[0] as ServerNode;
    const address = `${leaving.host}:${leaving.port}`;
    await cluster.refresh();
    expect(cluster.nodes().some((node) => node.address === address)).toBe(true);
    await suite.cluster.removeNode(leaving);
    await cluster.refresh();
    expect(cluster.nodes().some((node) => node.address === address)).toBe(false);
    expect(await cluster.do('SET', 'still', 'works')).toBe('OK');
  }, 30_000);
});
