// Review 19b: maxBytes is "the most bytes kept (an estimate: keys, arguments and values)", and the
// README calls the cache "Bounded". The estimate counts 16 bytes per reply item plus its length;
// a Buffer costs far more than that (its object, and its backing store), so with the default
// bulkStringsAs (Buffers) aggregates of small values (HGETALL, SMEMBERS, LRANGE ...) hold about
// 6.5 times maxBytes on the heap: a cache capped at 8 MiB held 55 MB; at the default 64 MiB that
// is about 420 MB. Strings hold 2x to 2.7x (the control below). Expected: what the cache holds
// stays within a small factor of maxBytes (here a generous 3.5x, which the string case meets).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const redis = useRedisServer();
let writer: Connection;
const keys = 20_000;

function heapAfterGc(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

beforeAll(async () => {
  writer = await dial(redis.url);
  const fields = Array.from({ length: 20 }, (_, index) => [`f${index}`, `v${index}`]).flat();
  const writes: Promise<unknown>[] = [];
  for (let index = 0; index < keys; index++)
    writes.push(writer.do('HSET', `h:${index}`, ...fields));
  await Promise.all(writes);
}, 60_000);
afterAll(async () => {
  await writer?.do('FLUSHALL');
  await writer?.close();
});

for (const bulkStringsAs of ['string', 'buffer'] as const)
  it(`${bulkStringsAs === 'string' ? 'control: ' : ''}HGETALL replies (${bulkStringsAs}s) held by a cache with maxBytes 8 MiB stay near 8 MiB`, async () => {
    const maxBytes = 8 * 1024 * 1024;
    const client = createClient(redis.url, {
      protocol: 3,
      cache: { maxBytes },
      decoder: { bulkStringsAs },
    });
    await client.cache.do('HGETALL', 'warm');
    const baseline = heapAfterGc();
    for (let start = 0; start < keys; start += 500)
      await Promise.all(
        Array.from({ length: 500 }, (_, offset) =>
          client.cache.do('HGETALL', `h:${start + offset}`),
        ),
      );
    const held = heapAfterGc() - baseline;
    const stats = client.cache.stats();
    console.log(
      `${bulkStringsAs}s: ${stats.entries} entries, estimate ${(stats.bytes / 1e6).toFixed(1)} MB, heap +${(held / 1e6).toFixed(1)} MB (${(held / maxBytes).toFixed(2)}x maxBytes)`,
    );
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    // Observed for Buffers: about 55 MB, 6.5x maxBytes.
    expect(held).toBeLessThan(3.5 * maxBytes);
    await client.close();
  }, 60_000);
