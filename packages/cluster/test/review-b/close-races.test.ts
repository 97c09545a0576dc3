// Review B: ClusterSubscriber.close() while its reconcile loop is between two steps. README:
// "close() ends everything: waiting subscribes and readers reject with a ConnectionError
// (ERR_CLOSED), for await ends after the events already buffered, connections and dials in
// progress are closed and aborted."
import type { Reply } from '@x/resp';
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { sleep, within } from './helpers.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('close() right after an sunsubscribe and an ssubscribe of one slot', () => {
  it('leaves no connection (and no subscription) behind', async () => {
    const [held, asked] = ['{close-race}held', '{close-race}asked'];
    const owner = await suite.cluster.nodeForSlot(keySlot(held));
    const subscriber = cluster.subscriber();
    await subscriber.ssubscribe(held);
    await sleep(50); // the subscriber's loop is idle
    // Neither awaited, as a caller tearing down would do: then close().
    const unsubscribed = subscriber.sunsubscribe(held);
    const subscribed = subscriber.ssubscribe(asked).catch((error: unknown) => error);
    await subscriber.close();
    await unsubscribed;
    expect(await subscribed).toMatchObject({ code: 'ERR_CLOSED' });
    await sleep(500);
    const counts = (await suite.cluster.call(
      owner,
      'PUBSUB',
      'SHARDNUMSUB',
      held,
      asked,
    )) as Reply[];
    const pubsubClients = String(
      await suite.cluster.call(owner, 'CLIENT', 'LIST', 'TYPE', 'pubsub'),
    )
      .split('\n')
      .filter((line) => line.startsWith('id='));
    // Observed: the slot's round went on after close(): it made a new connection to the owner
    // and subscribed `asked` there, a connection nothing will ever close (it keeps a process
    // alive after subscriber.close() and cluster.close()). Expected: none.
    expect({ asked: counts[3], pubsubClients: pubsubClients.length }).toEqual({
      asked: 0,
      pubsubClients: 0,
    });
  });
});

describe('destroy() while a call waits between two tries (TRYAGAIN backoff)', () => {
  it('rejects the call at once (README: "destroy() rejects everything at once")', async () => {
    const [a, b] = ['{destroy-race}a', '{destroy-race}b'];
    const slot = keySlot(a);
    await cluster.do('MSET', a, '1', b, '1');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = (await suite.cluster.masters()).find((node) => node !== from);
    if (to === undefined) throw new Error('no other master');
    await suite.cluster.beginMigration(slot, from, to, { keys: [a] });
    try {
      const waits: number[] = [];
      for (let trial = 0; trial < 3; trial++) {
        const doomed = await Cluster.connect({ seeds: suite.cluster.seeds });
        const call = doomed.do('MGET', a, b); // TRYAGAIN until the migration ends
        await sleep(2_000 + trial * 131); // the backoff has reached its 500 ms cap
        const destroyedAt = performance.now();
        doomed.destroy();
        const outcome = await within(call, 2_000);
        expect(outcome.status).toBe('rejected');
        waits.push(Math.round(performance.now() - destroyedAt));
      }
      // Observed: up to about 500 ms each (the backoff sleep runs out first, and keeps a timer
      // alive after destroy()). Expected: a few ms.
      expect(Math.max(...waits)).toBeLessThan(50);
    } finally {
      await suite.cluster.finishMigration(slot, from, to);
    }
  }, 30_000);
});
