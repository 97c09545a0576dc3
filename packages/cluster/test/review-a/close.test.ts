// Review A: close() while calls are under way, and calls after close(). README: close() "Closes
// every node client gracefully (calls already issued finish, ...); new calls reject with
// ConnectionError (ERR_CLOSED)".
import { useRedisCluster } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { otherMaster } from './helpers.js';

const suite = useRedisCluster();

describe('close() while a call is redirected', () => {
  it('a call issued before close() that meets MOVED finishes, or fails with a typed error, never with MOVED', async () => {
    const key = 'closing:{c1}';
    const cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
    try {
      await cluster.do('SET', key, 'value');
      const slot = keySlot(key);
      const from = await suite.cluster.nodeForSlot(slot);
      await suite.cluster.migrateSlot(slot, from, await otherMaster(suite.cluster, from));
      // The client's map still names `from`: the GET meets MOVED after close() began.
      const reading = cluster.do('GET', key);
      const closing = cluster.close();
      const outcome = await reading.then(
        (reply) => ({ reply: String(reply) }),
        (error: unknown) => ({ error: `${(error as Error).name} ${(error as Error).message}` }),
      );
      await closing;
      expect(outcome).toEqual({ reply: 'value' });
    } finally {
      cluster.destroy();
    }
  });
});

describe('calls after close()', () => {
  it('scan() after close() rejects with ConnectionError ERR_CLOSED', async () => {
    const cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
    await cluster.close();
    const error = await (async () => {
      for await (const _key of cluster.scan()) return null;
      return null;
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'ERR_CLOSED' });
  });
});
