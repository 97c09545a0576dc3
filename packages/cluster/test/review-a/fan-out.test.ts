// Review A: keyless commands sent to every master and joined by the server's response_policy
// tip. SCRIPT KILL is tagged request_policy:all_shards, response_policy:one_succeeded on Redis
// 7.0.15: it succeeds when one master killed a script, and the others answer NOTBUSY.
import { openRawClient, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

// A busy script lets other clients in (SCRIPT KILL) after busy-reply-threshold.
const suite = useRedisCluster({ args: ['--busy-reply-threshold', '100'] });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close();
});

describe('response_policy:one_succeeded', () => {
  it('SCRIPT KILL succeeds when the one master running a script killed it', async () => {
    const [busy] = await suite.cluster.masters();
    const raw = await openRawClient(busy!.port);
    try {
      // A script that runs until killed, on one master only.
      const running = raw.call('EVAL', 'while true do end', '0').catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const outcome = await cluster.do('SCRIPT', 'KILL').then(
        (reply) => ({ reply }),
        (error: unknown) => ({ error: String(error) }),
      );
      // Whatever the client said, the script was killed: the caller must hear so.
      const scriptOutcome = String(await running);
      expect(scriptOutcome).toMatch(/killed/i);
      expect(outcome).toEqual({ reply: 'OK' });
    } finally {
      raw.close();
    }
  });
});
