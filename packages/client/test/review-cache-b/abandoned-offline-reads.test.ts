// Review 19b: a cached read that waits for a connection stays queued after every caller of it
// gave up (own timeoutMs or signal). client.doWith() takes an abandoned call out of its offline
// queue at once (Client#abandon); the cache's ServerRead stays in its OfflineQueue until a
// connection comes or offlineWaitMs runs out (with offlineWaitMs: Infinity, never). Effects:
//  - close() waits for those reads although nobody waits for them: up to offlineWaitMs, or for
//    ever with offlineWaitMs 0/Infinity (README: "0 or Infinity: only the call's own limit");
//  - they fill maxOfflineCommands: new cached reads reject with OfflineQueueFullError;
//  - each one keeps its callers (promise, timer closure, TimeoutError with its stack):
//    measured about 2.6 kB per abandoned read, 130 MB for 50,000 distinct keys.
// Separately, the cache's offline queue has its own maxOfflineCommands, so with caching on up
// to twice maxOfflineCommands calls wait ("most calls waiting for a connection").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { freePort } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient, OfflineQueueFullError } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const clients: Client[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

/** A client whose server is down (nothing listens on the port). */
async function offlineClient(options: object): Promise<Client> {
  const port = await freePort();
  const client = createClient(`redis://127.0.0.1:${port}`, {
    protocol: 3,
    cache: {},
    reconnect: { baseDelayMs: 20, maxDelayMs: 50 },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Resolves 'closed' when close() resolves within `ms`, else 'still closing'. */
function closesWithin(client: Client, ms: number): Promise<string> {
  return Promise.race([
    client.close().then(() => 'closed'),
    new Promise<string>((resolve) => setTimeout(() => resolve('still closing'), ms)),
  ]);
}

describe('cached reads whose callers gave up while there is no connection', () => {
  it('control: close() does not wait for a client.doWith() call that timed out', async () => {
    const client = await offlineClient({ offlineWaitMs: 30_000 });
    await expect(client.doWith({ timeoutMs: 50 }, 'GET', 'k')).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(await closesWithin(client, 1_000)).toBe('closed');
  });

  it('close() does not wait for a cached read that timed out', async () => {
    const client = await offlineClient({ offlineWaitMs: 30_000 });
    await expect(client.cache.doWith({ timeoutMs: 50 }, 'GET', 'k')).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    // Observed: 'still closing' -- close() resolves only when offlineWaitMs (30 s) expires the
    // read that nobody waits for.
    expect(await closesWithin(client, 1_000)).toBe('closed');
  });

  it('close() does not wait for a cached read whose signal aborted (offlineWaitMs: Infinity)', async () => {
    const client = await offlineClient({ offlineWaitMs: Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    const read = client.cache.doWith({ signal: controller.signal }, 'GET', 'k');
    controller.abort(new Error('gave up'));
    await expect(read).rejects.toThrow('gave up');
    // Observed: 'still closing' -- and it would never close while the server stays down.
    expect(await closesWithin(client, 1_000)).toBe('closed');
  });

  it('abandoned reads do not fill maxOfflineCommands', async () => {
    const client = await offlineClient({ offlineWaitMs: 30_000, maxOfflineCommands: 5 });
    for (let index = 0; index < 5; index++)
      await expect(
        client.cache.doWith({ timeoutMs: 20 }, 'GET', `k${index}`),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
    // Nobody waits for anything now. Observed: OfflineQueueFullError (the queue holds the five
    // abandoned reads), where client.doWith() gives TimeoutError in the same situation.
    const outcome = await client.cache
      .doWith({ timeoutMs: 20 }, 'GET', 'another')
      .catch((error: unknown) => error);
    expect(outcome).not.toBeInstanceOf(OfflineQueueFullError);
    expect(outcome).toMatchObject({ name: 'TimeoutError' });
  });

  it('abandoned reads do not keep their memory until offlineWaitMs', async () => {
    const client = await offlineClient({ offlineWaitMs: 60_000 });
    // Warm the code paths.
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        client.cache.doWith({ timeoutMs: 10 }, 'GET', `warm:${index}`).catch(() => {}),
      ),
    );
    const plain = await offlineClient({ offlineWaitMs: 60_000 });
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        plain.doWith({ timeoutMs: 10 }, 'GET', `warm:${index}`).catch(() => {}),
      ),
    );
    gc();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let rejected = 0;
    const count = () => {
      rejected++;
    };
    const outcomes: Promise<void>[] = [];
    for (let index = 0; index < 20_000; index++) {
      outcomes.push(
        client.cache.doWith({ timeoutMs: 20 }, 'GET', `key:${index}`).then(() => {}, count),
      );
      outcomes.push(plain.doWith({ timeoutMs: 20 }, 'GET', `key:${index}`).then(() => {}, count));
    }
    await Promise.all(outcomes);
    outcomes.length = 0;
    expect(rejected).toBe(40_000);
    gc();
    gc();
    const retained = process.memoryUsage().heapUsed - baseline;
    console.log(
      `after 20,000 abandoned cached reads and 20,000 abandoned calls: +${(retained / 1e6).toFixed(1)} MB; reads still queued: ${client.cache.waitingReads}`,
    );
    // Observed: about +52 MB, and all 20,000 reads still queued.
    expect.soft(client.cache.waitingReads).toBe(0);
    expect(retained).toBeLessThan(5_000_000);
  }, 30_000);

  it('with caching on, no more than maxOfflineCommands calls wait for a connection', async () => {
    const client = await offlineClient({ offlineWaitMs: 30_000, maxOfflineCommands: 5 });
    const settled: Promise<unknown>[] = [];
    for (let index = 0; index < 5; index++)
      settled.push(client.do('GET', `plain:${index}`).catch((error: unknown) => error));
    for (let index = 0; index < 5; index++)
      settled.push(client.cache.do('GET', `cached:${index}`).catch((error: unknown) => error));
    // Let any fast failure arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
    const outcomes = await Promise.all(settled);
    const full = outcomes.filter((outcome) => outcome instanceof OfflineQueueFullError).length;
    // Observed: 0 -- ten calls waited with maxOfflineCommands: 5 (two queues of 5 each).
    expect(full).toBeGreaterThanOrEqual(5);
  });
});
