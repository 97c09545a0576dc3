// Review B: ssubscribe() calls that wait for a slot whose master is dead (before its replica is
// promoted). README: "While a slot's master is down ... it keeps trying for subscribeWaitMs ...
// then rejects with a ClusterRoutingError (ERR_CLUSTER_UNAVAILABLE) listing the tries, and
// forgets what it asked for."
import { Message } from '@x/pubsub';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ClusterRoutingError, keySlot } from '../../src/index.js';
import { nameOn, sleep, within } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

/** Kills the master of the first slot range, runs `work`, restarts it and waits for the cluster. */
async function withDeadMaster(
  prefix: string,
  work: (dead: ServerNode, onDead: string, onAlive: string) => Promise<void>,
) {
  const [dead, alive] = (await suite.cluster.masters()) as [ServerNode, ServerNode];
  const onDead = await nameOn(suite.cluster, dead, `${prefix}-dead`);
  const onAlive = await nameOn(suite.cluster, alive, `${prefix}-alive`);
  await suite.cluster.killNode(dead);
  try {
    await work(dead, onDead, onAlive);
  } finally {
    await dead.server.restart();
    await suite.cluster.waitUntilStable(20_000);
  }
}

describe('two ssubscribe() calls for the same channel while its master is dead', () => {
  it('the second is not told it succeeded when the first gives up and forgets the channel', async () => {
    await withDeadMaster('twice', async (dead, channel) => {
      await using subscriber = cluster.subscriber({ subscribeWaitMs: 600 });
      const first = within(subscriber.ssubscribe(channel), 5_000);
      await sleep(300);
      const second = within(subscriber.ssubscribe(channel), 5_000);
      const firstOutcome = await first;
      expect(firstOutcome.status).toBe('rejected');
      expect((firstOutcome as { reason: unknown }).reason).toBeInstanceOf(ClusterRoutingError);
      const secondOutcome = await second;
      // Observed: the second call resolves about 300 ms before its own limit, while the slot
      // still has no live master, and nothing is subscribed. Expected: it rejects too (its own
      // subscribeWaitMs), or it resolves and the channel is subscribed once a master takes it.
      if (secondOutcome.status === 'fulfilled') {
        await suite.cluster.waitForPromotion(dead);
        let heard = 0;
        for (let attempt = 0; attempt < 100 && heard === 0; attempt++) {
          heard = Number(await cluster.do('SPUBLISH', channel, 'hello').catch(() => 0));
          if (heard === 0) await sleep(50);
        }
        expect(heard).toBe(1);
        expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toMatchObject({
          channel,
        });
      } else {
        expect(secondOutcome.status).toBe('rejected');
      }
    });
  }, 60_000);
});

describe('an ssubscribe() naming a channel on a dead master and one on a live master', () => {
  it('rejects, and forgets what it asked for: the live master holds no subscription afterwards', async () => {
    await withDeadMaster('partial', async (_dead, onDead, onAlive) => {
      const alive = await suite.cluster.nodeForSlot(keySlot(onAlive));
      await using subscriber = cluster.subscriber({ subscribeWaitMs: 500 });
      await expect(subscriber.ssubscribe(onDead, onAlive)).rejects.toBeInstanceOf(
        ClusterRoutingError,
      );
      // Observed: 1 (the subscription is still held, and its messages are delivered to a
      // caller who was told the call failed). Expected: 0.
      expect(await suite.cluster.call(alive, 'SPUBLISH', onAlive, 'unwanted')).toBe(0);
      const event = await subscriber.receiveWith({ timeoutMs: 300 }).catch(() => null);
      expect(event).not.toEqual(new Message(onAlive, Buffer.from('unwanted'), true));
    });
  }, 60_000);
});
