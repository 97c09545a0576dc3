// SWAPDB run by another connection changes what every key of the client's database holds, but
// redis-server 7.0 sends tracking clients no invalidation for it (neither per key nor a null
// flush). The cache keeps serving the old database's values for ever, even after this client
// has read later replies: the README's rule for other connections' writes ("seen once this
// client has read a reply that the server sent after the write") does not hold, and the README
// names SWAPDB only for the client's own sends.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useCacheServer } from './setup.js';

const env = useCacheServer();

describe('SWAPDB from another connection', () => {
  it("does not leave the swapped-out database's values in the cache", async () => {
    const client = env.cachingClient();
    await env.writer.do('SET', 'k', 'db0');
    await env.writer.do('SELECT', 1);
    await env.writer.do('SET', 'k', 'db1');
    await env.writer.do('SELECT', 0);
    expect(await client.cache.do('GET', 'k')).toBe('db0');
    try {
      await env.writer.do('SWAPDB', 0, 1);
      await client.do('PING');
      await sleep(100);
      await client.do('PING');
      expect(await client.do('GET', 'k')).toBe('db1');
      // Fails: 'db0', with stats() showing no invalidation and no flush.
      expect(await client.cache.do('GET', 'k')).toBe('db1');
    } finally {
      await env.writer.do('SELECT', 1);
      await env.writer.do('FLUSHDB');
      await env.writer.do('SELECT', 0);
    }
  });
});
