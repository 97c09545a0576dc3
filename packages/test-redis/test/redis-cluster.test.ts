import { execFileSync } from 'node:child_process';
import type { Reply } from '@x/resp';
import { describe, expect, it } from 'vitest';
import {
  type ClusterNode,
  type RedisCluster,
  startRedisCluster,
  useRedisCluster,
} from '../src/index.js';

/** The redis-server processes this test process started and that still run. */
function ourServers(): number[] {
  try {
    const out = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'redis-server']);
    return out.toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function slotOf(cluster: RedisCluster, key: string): Promise<number> {
  return Number(await cluster.call(cluster.nodes[0] as ClusterNode, 'CLUSTER', 'KEYSLOT', key));
}

function coveredSlots(reply: Reply): number {
  return (reply as Reply[][]).reduce(
    (sum, range) => sum + Number(range[1]) - Number(range[0]) + 1,
    0,
  );
}

describe('startRedisCluster', () => {
  const suite = useRedisCluster();

  it('forms with every slot served and every replica attached', async () => {
    const { cluster } = suite;
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.seeds).toHaveLength(3);
    for (const node of cluster.nodes) {
      expect(coveredSlots(await cluster.call(node, 'CLUSTER', 'SLOTS'))).toBe(16384);
      const info = String(await cluster.call(node, 'INFO', 'replication'));
      if (node.role === 'replica') expect(info).toContain('master_link_status:up');
    }
    expect(await cluster.masters()).toHaveLength(3);
    expect(await cluster.replicas()).toHaveLength(3);
  });

  it('serves a key on its slot master and answers MOVED elsewhere', async () => {
    const { cluster } = suite;
    const slot = await slotOf(cluster, 'greeting');
    const owner = await cluster.nodeForSlot(slot);
    expect(await cluster.call(owner, 'SET', 'greeting', 'hi')).toBe('OK');
    expect(String(await cluster.call(owner, 'GET', 'greeting'))).toBe('hi');
    for (const master of await cluster.masters()) {
      if (master === owner) continue;
      const reply = await cluster.call(master, 'GET', 'greeting');
      expect(reply).toMatchObject({
        code: 'MOVED',
        message: `MOVED ${slot} 127.0.0.1:${owner.port}`,
      });
    }
  });

  it('half migrates a slot: ASK for a moved key, TRYAGAIN across moved and unmoved', async () => {
    const { cluster } = suite;
    const slot = await slotOf(cluster, '{t}a');
    const from = await cluster.nodeForSlot(slot);
    const to = (await cluster.masters()).find((master) => master !== from) as ClusterNode;
    await cluster.pipeline(from, [
      ['SET', '{t}a', 'A'],
      ['SET', '{t}b', 'B'],
    ]);
    await cluster.beginMigration(slot, from, to, { keys: ['{t}a'] });
    expect(await cluster.call(from, 'GET', '{t}a')).toMatchObject({
      code: 'ASK',
      message: `ASK ${slot} 127.0.0.1:${to.port}`,
    });
    expect(String(await cluster.call(from, 'GET', '{t}b'))).toBe('B');
    expect(await cluster.call(from, 'MGET', '{t}a', '{t}b')).toMatchObject({ code: 'TRYAGAIN' });
    const [, asked] = await cluster.pipeline(to, [['ASKING'], ['GET', '{t}a']]);
    expect(String(asked)).toBe('A');
    expect(await cluster.call(to, 'GET', '{t}a')).toMatchObject({ code: 'MOVED' });

    await cluster.finishMigration(slot, from, to);
    expect(await cluster.nodeForSlot(slot)).toBe(to);
    expect(String(await cluster.call(to, 'GET', '{t}b'))).toBe('B');
    expect(await cluster.call(from, 'GET', '{t}b')).toMatchObject({ code: 'MOVED' });
  });

  it('migrates a slot with its keys and every node agrees', async () => {
    const { cluster } = suite;
    const slot = await slotOf(cluster, '{m}');
    const from = await cluster.nodeForSlot(slot);
    const to = (await cluster.masters()).find((master) => master !== from) as ClusterNode;
    const keys = Array.from({ length: 250 }, (_, index) => `{m}${index}`);
    await cluster.pipeline(
      from,
      keys.map((key) => ['SET', key, key]),
    );
    await cluster.migrateSlot(slot, from, to, { keysBatch: 100 });
    for (const node of cluster.nodes) {
      const ranges = (await cluster.call(node, 'CLUSTER', 'SLOTS')) as Reply[][];
      const range = ranges.find(
        (candidate) => Number(candidate[0]) <= slot && slot <= Number(candidate[1]),
      );
      expect(Number((range?.[2] as Reply[] | undefined)?.[1])).toBe(to.port);
    }
    expect(await cluster.call(to, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(250);
    expect(await cluster.call(from, 'CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
  });

  it('fails over to a replica on request', async () => {
    const { cluster } = suite;
    const replica = (await cluster.replicas())[0] as ClusterNode;
    const role = (await cluster.call(replica, 'ROLE')) as Reply[];
    const master = cluster.nodes.find((node) => node.port === Number(role[2])) as ClusterNode;
    await cluster.failover(replica);
    expect(await cluster.masters()).toContain(replica);
    expect(await cluster.replicas()).toContain(master);
  });

  it('promotes a replica when its master is killed, and takes the master back as a replica', async () => {
    const { cluster } = suite;
    const slot = await slotOf(cluster, 'greeting');
    const victim = await cluster.nodeForSlot(slot);
    const pid = victim.server.pid;
    await cluster.killNode(victim);
    expect(() => process.kill(pid, 0)).toThrow();
    const promotion = await cluster.waitForPromotion(victim);
    console.info(
      `replica ${promotion.node.port} took over ${promotion.elapsedMs.toFixed(0)} ms after the kill`,
    );
    expect(promotion.node).not.toBe(victim);
    expect(await cluster.nodeForSlot(slot)).toBe(promotion.node);
    expect(String(await cluster.call(promotion.node, 'GET', 'greeting'))).toBe('hi');

    await victim.server.restart();
    await cluster.waitUntilStable();
    expect(await cluster.replicas()).toContain(victim);
  });

  it('removes a replica and a master, whose slots and replicas go elsewhere', async () => {
    const { cluster } = suite;
    const replica = (await cluster.replicas())[0] as ClusterNode;
    await cluster.removeNode(replica);
    expect(cluster.nodes).not.toContain(replica);
    for (const node of cluster.nodes) {
      const known = String(await cluster.call(node, 'CLUSTER', 'NODES'));
      expect(known).not.toContain(replica.id);
    }

    const replicasLeft = await cluster.replicas();
    const masterPortOf = async (node: ClusterNode) =>
      Number(((await cluster.call(node, 'ROLE')) as Reply[])[2]);
    let master: ClusterNode | undefined;
    for (const candidate of await cluster.masters())
      for (const other of replicasLeft)
        if ((await masterPortOf(other)) === candidate.port) master = candidate;
    if (!master) throw new Error('every replica left is attached to no master');
    const started = performance.now();
    await cluster.removeNode(master);
    console.info(`removing a master took ${(performance.now() - started).toFixed(0)} ms`);
    expect(cluster.nodes).not.toContain(master);
    for (const node of cluster.nodes)
      expect(coveredSlots(await cluster.call(node, 'CLUSTER', 'SLOTS'))).toBe(16384);
    expect(await cluster.masters()).toHaveLength(2);
    // Its replica now follows another master.
    expect(await cluster.replicas()).toEqual(replicasLeft);
    for (const replica of replicasLeft) expect(await masterPortOf(replica)).not.toBe(master.port);
  });
});

describe('startRedisCluster lifecycle', () => {
  it('forms fast and leaves no process after stop, even when stopped twice', async () => {
    const before = ourServers();
    const started = performance.now();
    const cluster = await startRedisCluster();
    console.info(`6 nodes formed in ${(performance.now() - started).toFixed(0)} ms`);
    expect(ourServers()).toHaveLength(before.length + 6);
    await cluster.stop();
    await cluster.stop();
    expect(ourServers()).toEqual(before);
  });

  it('leaves no process when formation fails halfway', async () => {
    const before = ourServers();
    await expect(startRedisCluster({ replicasPerMaster: 0, timeoutMs: 1 })).rejects.toThrow(
      /waited 1 ms/,
    );
    expect(ourServers()).toEqual(before);
  });

  it('leaves no process when a node cannot start', async () => {
    const before = ourServers();
    await expect(
      startRedisCluster({ replicasPerMaster: 0, args: ['--no-such-option', 'yes'] }),
    ).rejects.toThrow(/exited at start/);
    expect(ourServers()).toEqual(before);
  });
});
