import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const redis = useRedisServer();

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it('returns to its baseline heap after an outage full of timed-out calls', async () => {
  const client = createClient(redis.url, { readTimeoutMs: 300, offlineWaitMs: 60_000 });
  // Warm up every code path once, so the baseline holds compiled code and caches.
  await Promise.all(
    Array.from({ length: 1_000 }, (_, index) => client.do('SET', `warm:${index}`, index)),
  );
  const baseline = heapAfterGc();

  // A stopped server: written calls time out, the connection fails on readTimeoutMs, and calls
  // issued after that wait for a connection until their own limit ends the wait.
  process.kill(redis.server.pid, 'SIGSTOP');
  // Only a count of outcomes is kept: 50,000 error objects with their stacks would be the test's
  // own memory, not the client's.
  let rejected = 0;
  const outcomes: Promise<void>[] = [];
  for (let batch = 0; batch < 10; batch++) {
    for (let index = 0; index < 5_000; index++)
      outcomes.push(
        client.doWith({ timeoutMs: 150 }, 'SET', `lost:${batch}:${index}`, 'x').then(
          () => {},
          () => {
            rejected++;
          },
        ),
      );
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  const peak = heapAfterGc();
  await Promise.all(outcomes);
  outcomes.length = 0;
  expect(rejected).toBe(50_000);
  expect(client.status).not.toBe('ready');
  process.kill(redis.server.pid, 'SIGCONT');
  await expect.poll(() => client.status, { timeout: 5_000 }).toBe('ready');
  expect(await client.do('PING')).toBe('PONG');

  const after = heapAfterGc();
  console.log(
    `heap: baseline ${(baseline / 1e6).toFixed(1)} MB, during the outage +${((peak - baseline) / 1e6).toFixed(1)} MB, after +${((after - baseline) / 1e3).toFixed(0)} kB for 50,000 timed-out calls`,
  );
  expect(after - baseline).toBeLessThan(2_000_000);
  await client.close();
}, 30_000);
