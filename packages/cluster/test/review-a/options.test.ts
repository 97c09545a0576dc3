// Review A: option values a careful caller may well pass. The house rule for time limits
// (@x/conn's readTimeLimit, used to read these options): "0 and Infinity mean 'no limit'".
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { clusterSlotsCalls, otherMaster } from './helpers.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close();
});

describe('retryWaitMs: Infinity', () => {
  it('keeps retrying TRYAGAIN (no limit) instead of giving up on the first one', async () => {
    const patient = await Cluster.connect({
      seeds: suite.cluster.seeds,
      retryWaitMs: Number.POSITIVE_INFINITY,
    });
    const moved = 'opt:{t1}:moved';
    const stays = 'opt:{t1}:stays';
    const slot = keySlot(moved);
    await cluster.do('MSET', moved, '1', stays, '2');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(suite.cluster, from);
    // Half migrated: MGET of a moved and an unmoved key is TRYAGAIN until the move ends.
    await suite.cluster.beginMigration(slot, from, to, { keys: [moved] });
    const finishing = new Promise((resolve) => setTimeout(resolve, 500)).then(() =>
      suite.cluster.finishMigration(slot, from, to),
    );
    try {
      const outcome = await patient.doWith({ timeoutMs: 5_000 }, 'MGET', moved, stays).then(
        (reply) => ({ reply: (reply as Buffer[]).map(String) }),
        (error: unknown) => ({ error: (error as { code?: string }).code }),
      );
      expect(outcome).toEqual({ reply: ['1', '2'] });
    } finally {
      await finishing;
      await suite.cluster.waitUntilStable();
      await patient.close();
    }
  });
});

describe('refreshIntervalMs longer than setTimeout can wait', () => {
  it('30 days between periodic refreshes does not ask for the map every few milliseconds', async () => {
    const before = await clusterSlotsCalls(suite.cluster);
    const monthly = await Cluster.connect({
      seeds: suite.cluster.seeds,
      refreshIntervalMs: 30 * 24 * 60 * 60 * 1_000,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await monthly.close();
    }
    // Connect asks once; nothing else asks in this second.
    const calls = (await clusterSlotsCalls(suite.cluster)) - before;
    expect(calls).toBeLessThanOrEqual(2);
  });
});

describe('call options of the wrong type', () => {
  it("doWith({ idempotent: 'yes' }) is refused with a TypeError, as @x/client refuses it", async () => {
    // @x/client: "idempotent must be true or false, got string". The cluster keeps `idempotent`
    // for itself and reads only `=== true`, so a mistyped flag silently means "not idempotent".
    const outcome = await cluster
      .doWith({ idempotent: 'yes' as unknown as boolean }, 'GET', 'opt:idempotent')
      .then(
        (reply) => ({ reply }),
        (error: unknown) => ({ error: (error as Error).name }),
      );
    expect(outcome).toEqual({ error: 'TypeError' });
  });
});
