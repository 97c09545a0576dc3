// Review A: keyless calls sent to every master (DBSIZE, PING: request_policy:all_shards) while a
// master dies and its replica is promoted. README: "Calls for that master wait in its client
// (within offlineWaitMs) until it comes back, or until the map shows another master for its
// slots: its client is then retired, and every call waiting in it moves to the new master."
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close();
});

describe('fan-out across a failover', () => {
  it("DBSIZE and PING issued while a master is dead settle with the promoted master's answer", async () => {
    await cluster.do('MSET', 'fan:1', 'a', 'fan:2', 'b', 'fan:3', 'c');
    const [victim] = await suite.cluster.masters();
    await suite.cluster.killNode(victim!);
    try {
      // Give the client a moment to see the connection drop, as a caller under load would.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const settle = (call: Promise<unknown>) =>
        call.then(
          (reply) => ({ reply }),
          (error: unknown) => ({ error: `${(error as Error).name}: ${(error as Error).message}` }),
        );
      const dbsize = settle(cluster.do('DBSIZE'));
      const ping = settle(cluster.do('PING'));
      const set = settle(cluster.do('SET', 'fan:keyed', 'x'));
      await suite.cluster.waitForPromotion(victim!);
      // A keyed call waiting in the dead master's client moved to the new master (or succeeded
      // elsewhere); the fan-out calls waiting in the same client must do as well.
      expect(await set).toEqual({ reply: 'OK' });
      // 3 or 4: the SET, issued after DBSIZE, may or may not reach its shard before DBSIZE's part.
      expect([{ reply: 3 }, { reply: 4 }]).toContainEqual(await dbsize);
      expect(await ping).toEqual({ reply: 'PONG' });
    } finally {
      await victim!.server.restart();
      await suite.cluster.waitUntilStable();
    }
  }, 40_000);
});
