// Review 19d. README: "a SWAPDB sent through this client drops everything itself", and a script
// (EVAL, EVALSHA, FCALL) is fenced by a PING so that "its caller hears back when that PING's
// reply comes, which the server sends after every invalidation the script caused". Redis 7.0
// lets a script call SWAPDB (it is not a noscript command) and, as the README says for SWAPDB run
// by another connection, sends tracking clients no invalidation for it. So a script sent through
// this client that swaps databases leaves every entry of the old database in the cache: the fence
// waits for invalidations that never come, and the entries are served until something else drops
// them - not a race, stale for good. This client sent the command; it cannot tell what a script
// does, so a SWAPDB inside one is indistinguishable from any write it was not given, except that
// no invalidation will ever follow it.
import { describe, expect, it } from 'vitest';
// (FLUSHALL after each test, in setup.ts, empties both databases.)
import { useCacheServer } from '../review-cache-a/setup.js';

const env = useCacheServer();

describe('a script sent through this client that calls SWAPDB (real Redis 7.0)', () => {
  it('EVAL: a cached GET afterwards returns what the server holds', async () => {
    const client = env.cachingClient();
    await client.do('SET', 'k', 'db0');
    await env.writer.do('EVAL', "redis.call('SELECT', 1) redis.call('SET', 'k', 'db1')", 0);
    expect(await client.cache.do('GET', 'k')).toBe('db0');
    await client.do('EVAL', "redis.call('SWAPDB', 0, 1) return 1", 0);
    await client.do('PING');
    expect(await client.do('GET', 'k')).toBe('db1');
    // Fails: 'db0' (the entry from the database swapped away; flushes 0, invalidations 0).
    expect(await client.cache.do('GET', 'k')).toBe('db1');
  });

  it('FCALL: a cached GET afterwards returns what the server holds', async () => {
    const client = env.cachingClient();
    await client.do(
      'FUNCTION',
      'LOAD',
      'REPLACE',
      "#!lua name=review19d\nredis.register_function('swap', function() return redis.call('SWAPDB', 0, 1) end)",
    );
    await client.do('SET', 'k', 'db0');
    await env.writer.do('EVAL', "redis.call('SELECT', 1) redis.call('SET', 'k', 'db1')", 0);
    expect(await client.cache.do('GET', 'k')).toBe('db0');
    try {
      await client.do('FCALL', 'swap', 0);
      await client.do('PING');
      expect(await client.do('GET', 'k')).toBe('db1');
      // Fails: 'db0'.
      expect(await client.cache.do('GET', 'k')).toBe('db1');
    } finally {
      await env.writer.do('FUNCTION', 'DELETE', 'review19d');
    }
  });
});
