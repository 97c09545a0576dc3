// Review B: commands that change the state of the shared node connection for whoever sends the
// next command. @x/client refuses READONLY, SELECT, RESET, AUTH, HELLO, CLIENT SETNAME ... on its
// shared connection (NeedsOwnConnectionError); the cluster client sends its own ASKING through
// the same client, right before the command it is for.
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('cluster.do("ASKING")', () => {
  it('is refused before sending, as READONLY is (the flag would apply to another caller’s next command)', async () => {
    // READONLY is refused, for the same reason.
    await expect(cluster.do('READONLY')).rejects.toMatchObject({
      code: 'ERR_NEEDS_OWN_CONNECTION',
    });
    // Observed: 'OK': ASKING went out on a shared connection of some master, where it lets the
    // next command from any caller run on a slot the node is only importing.
    await expect(cluster.do('ASKING')).rejects.toBeInstanceOf(Error);
  });
});
