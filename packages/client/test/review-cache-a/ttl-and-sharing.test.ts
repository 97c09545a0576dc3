import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useCacheServer } from './setup.js';

const env = useCacheServer();

describe('per-call ttlMs and shared values', () => {
  // doWith({ ttlMs }) is "a shorter life for this entry". A caller that joins a read already on
  // its way (one in-flight read per key) is a miss whose read fills the entry, but its ttlMs is
  // dropped: the entry lives as long as the first caller's (here: until invalidated).
  it("keeps the entry no longer than a joining caller's ttlMs", async () => {
    const client = env.cachingClient();
    await env.writer.do('SET', 'k', 'v');
    const first = client.cache.do('GET', 'k');
    const short = client.cache.doWith({ ttlMs: 20 }, 'GET', 'k');
    await Promise.all([first, short]);
    expect(client.cache.stats()).toMatchObject({ misses: 2, reads: 1 });
    await sleep(60);
    await client.cache.do('GET', 'k');
    // Fails: a hit, 60 ms after a read that asked for at most 20 ms.
    expect(client.cache.stats().hits).toBe(0);
  });
});
