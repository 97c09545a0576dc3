// Review A: reads from replicas (readFrom: 'replica') when a replica is down. README: "'replica'
// sends read-only commands to the slot's replicas (READONLY connections), round robin, falling
// back to the master while no replica is connected."
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { replicaOf } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close();
});

describe('a replica that is down when first read from', () => {
  it('falls back to the master at once (the master is healthy)', async () => {
    const key = 'replica-read:{r1}';
    await cluster.do('SET', key, 'value');
    const master = await suite.cluster.nodeForSlot(keySlot(key));
    const replica = await replicaOf(suite.cluster, master);
    // The replica dies before this client ever read from it (replica connections are made on
    // first use); the client's map still lists it.
    await suite.cluster.killNode(replica);
    try {
      const started = performance.now();
      const outcome = await cluster
        .doWith({ readFrom: 'replica', timeoutMs: 3_000 }, 'GET', key)
        .then(
          (reply) => ({ reply: String(reply) }),
          (error: unknown) => ({ error: (error as Error).name }),
        );
      const tookMs = performance.now() - started;
      expect(outcome).toEqual({ reply: 'value' });
      expect(tookMs).toBeLessThan(1_000);
    } finally {
      await replica.server.restart();
      await suite.cluster.waitUntilStable();
    }
  }, 30_000);
});
