// Review B: cluster.pipeline() under a slot migration and with commands the cluster client
// refuses. README: "cluster.pipeline() routes each command on its own as it is sent: every
// node's share is written at once (auto-pipelined per node), replies come back in send order,
// errors as values in receiveAll(), and only the commands that were redirected are sent again."
import { ReplyError } from '@x/resp';
import { type ClusterNode as ServerNode, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ClusterRoutingError, CrossSlotError, keySlot } from '../../src/index.js';
import { sleep } from './helpers.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds, retryWaitMs: 5_000 });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('a pipeline that writes a key and then reads it, in a slot being migrated', () => {
  it('the read sees the write sent before it on the same pipeline (execution in send order)', async () => {
    const [a, b] = ['{pipe}a', '{pipe}b'];
    const slot = keySlot(a);
    await cluster.do('MSET', a, 'old', b, 'old');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = (await suite.cluster.masters()).find((node) => node !== from) as ServerNode;
    // {pipe}a already at `to`, {pipe}b still at `from`: a command on both gets TRYAGAIN.
    await suite.cluster.beginMigration(slot, from, to, { keys: [a] });
    try {
      const pipeline = cluster.pipeline();
      pipeline.send('MSET', a, 'new', b, 'new');
      pipeline.send('GET', a);
      await sleep(300);
      await suite.cluster.finishMigration(slot, from, to);
      const replies = await pipeline.receiveAll();
      // Observed: [ 'OK', 'old' ]: the MSET met TRYAGAIN and waited, the GET behind it met ASK
      // and ran at once at the target; the MSET ran later. A single node (or a pipeline that
      // keeps its order per key) gives [ 'OK', 'new' ].
      expect(replies.map((reply) => (Buffer.isBuffer(reply) ? String(reply) : reply))).toEqual([
        'OK',
        'new',
      ]);
    } finally {
      await suite.cluster.waitUntilStable();
    }
  }, 30_000);
});

describe('errors as values in receiveAll()', () => {
  it('a command refused before sending (CrossSlotError) is a value; the other replies are kept', async () => {
    const pipeline = cluster.pipeline();
    pipeline.send('SET', 'values:1', 'a');
    pipeline.send('RENAME', '{x}source', '{y}target'); // two slots: refused before sending
    pipeline.send('SET', 'values:2', 'b');
    // Observed: receiveAll() rejects with the CrossSlotError, and the caller never learns that
    // the two SETs ran. Expected: [ 'OK', CrossSlotError, 'OK' ].
    const replies = await pipeline.receiveAll();
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(CrossSlotError);
    expect(replies[2]).toBe('OK');
  });

  it('a command that gave up on a migrating slot (ClusterRoutingError) is a value; the others are kept', async () => {
    await using impatient = await Cluster.connect({
      seeds: suite.cluster.seeds,
      retryWaitMs: 200,
    });
    const [a, b] = ['{stuck}a', '{stuck}b'];
    const slot = keySlot(a);
    await impatient.do('MSET', a, '1', b, '1');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = (await suite.cluster.masters()).find((node) => node !== from) as ServerNode;
    await suite.cluster.beginMigration(slot, from, to, { keys: [a] });
    try {
      const pipeline = impatient.pipeline();
      pipeline.send('INCR', 'counter:{other}');
      pipeline.send('MGET', a, b); // TRYAGAIN until retryWaitMs (200 ms) passes
      pipeline.send('INCR', 'counter:{another}');
      let replies: unknown[] | undefined;
      let thrown: unknown;
      try {
        replies = await pipeline.receiveAll();
      } catch (error) {
        thrown = error;
      }
      // Observed: receiveAll() rejects with ClusterRoutingError (ERR_CLUSTER_UNAVAILABLE);
      // both INCRs ran, but their replies are lost.
      expect(thrown).toBeUndefined();
      expect(replies?.[1]).toBeInstanceOf(ClusterRoutingError);
      expect(typeof replies?.[0]).toBe('number');
      expect(typeof replies?.[2]).toBe('number');
      expect(replies?.[1]).not.toBeInstanceOf(ReplyError);
    } finally {
      await suite.cluster.finishMigration(slot, from, to);
    }
  }, 30_000);
});
