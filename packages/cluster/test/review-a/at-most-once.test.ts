// Review A: at-most-once delivery across a failover. DESIGN.md: "a command written before a
// failure rejects (sent: true) and is never re-sent unless the caller marked it idempotent";
// README: "A command written to a node that then died rejects with ConnectionError (sent: true):
// it may have run."
//
// A real cluster, with one master reached through a forwarder (and the natMap option), so that
// the network can lose the master's replies: the master runs the INCR and replicates it, the
// reply never arrives, the replica takes over, and the client learns the new map.
import { ConnectionError } from '@x/conn';
import { useRedisCluster } from '@x/test-redis';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { type Forwarder, replicaOf, startForwarder } from './helpers.js';

const suite = useRedisCluster();
let forwarder: Forwarder | undefined;

afterAll(async () => {
  await forwarder?.close();
});

describe('a write whose reply was lost when its master was replaced', () => {
  it('rejects with ConnectionError sent: true and is not run a second time on the new master', async () => {
    const key = 'once:{o1}';
    const master = await suite.cluster.nodeForSlot(keySlot(key));
    const replica = await replicaOf(suite.cluster, master);
    forwarder = await startForwarder(master.port);
    const through = forwarder.port;
    const cluster = await Cluster.connect({
      seeds: suite.cluster.seeds,
      natMap: (reported) =>
        reported.port === master.port ? { host: '127.0.0.1', port: through } : reported,
      readTimeoutMs: 10_000,
    });
    try {
      await cluster.do('SET', key, '0');
      // From here on the master's replies are lost on the way back.
      forwarder.blackhole();
      const incr = cluster.do('INCR', key).then(
        (reply) => ({ reply }),
        (error: unknown) => ({
          error: (error as Error).name,
          sent: ConnectionError.is(error) ? error.sent : undefined,
        }),
      );
      // The master ran it and its replica has it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [, onReplica] = await suite.cluster.pipeline(replica, [['READONLY'], ['GET', key]]);
      expect(String(onReplica)).toBe('1');
      // The replica takes over (the old master cannot vote: its peers still hear it), and the
      // client learns the new map, as any MOVED or its periodic refresh would make it.
      await suite.cluster.failover(replica, { takeover: true });
      await cluster.refresh();
      const outcome = await incr;
      const stored = Number(await suite.cluster.call(replica, 'GET', key));
      expect({ outcome, stored }).toEqual({
        outcome: { error: 'ConnectionError', sent: true },
        stored: 1,
      });
    } finally {
      cluster.destroy();
    }
  }, 30_000);
});
