// Review A: multi-key commands that the client splits by slot. The server's own tips decide the
// split (COMMAND INFO on Redis 7.0.15 tags MSETNX request_policy:multi_shard,
// response_policy:agg_min), so this runs on a real cluster.
import { useRedisCluster } from '@x/test-redis';
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

describe('MSETNX across slots', () => {
  it('sets nothing when one key exists (or refuses the cross-slot call), never a part of it', async () => {
    const fresh = 'msetnx:fresh';
    const existing = 'msetnx:existing';
    expect(keySlot(fresh)).not.toBe(keySlot(existing));
    await cluster.do('SET', existing, 'old');
    // MSETNX is all or nothing: "MSETNX will not perform any operation at all even if just a
    // single key already exists." The README lists the commands it splits (MGET, MSET, DEL,
    // UNLINK, EXISTS, TOUCH) and says any other cross-slot command rejects with CrossSlotError.
    const outcome = await cluster.do('MSETNX', fresh, 'new', existing, 'new').then(
      (reply) => ({ reply }),
      (error: unknown) => ({ error }),
    );
    const stored = await cluster.do('GET', fresh);
    const freshValue = stored === null ? null : String(stored);
    expect({ outcome, freshValue }).toMatchObject({ freshValue: null });
    if ('reply' in outcome) expect(outcome.reply).toBe(0);
    else expect((outcome.error as Error).name).toBe('CrossSlotError');
  });
});
