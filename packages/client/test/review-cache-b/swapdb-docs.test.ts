// Review 19b: the README's "Never stale, precisely" says writes acknowledged on another
// connection are covered by the server's invalidations (and that client.exclusive() writes are
// "covered by the server's invalidations, as above"). SWAPDB is the exception: Redis 7.0 sends no
// invalidation when another connection swaps databases, so a cached value of database 0 is served
// for ever after database 0's contents were replaced, however many replies the client reads.
// The cache handles its own client's SWAPDB (beforeSend flushes), which shows the gap is known
// in the code, yet the README documents neither it nor a workaround (client.cache.clear()).
// Expected: the cache does not serve the swapped-out value -- or, if that cannot be had, the
// README says so; this test holds the behaviour to the README's claim.
import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

const redis = useRedisServer();
let other: Connection;

beforeAll(async () => {
  other = await dial(redis.url, { decoder: { bulkStringsAs: 'string' } });
});
afterAll(async () => {
  await other?.do('FLUSHALL');
  await other?.close();
});

it("another connection's SWAPDB does not leave database 0's old value in the cache", async () => {
  const client = createClient(redis.url, {
    protocol: 3,
    cache: {},
    decoder: { bulkStringsAs: 'string' },
  });
  await other.do('SET', 'k', 'db0 value');
  await other.do('SELECT', 1);
  await other.do('SET', 'k', 'db1 value');
  expect(await client.cache.do('GET', 'k')).toBe('db0 value');
  // Acknowledged on another connection, as in an exclusive() loan or another process.
  await other.do('SWAPDB', 0, 1);
  // README: "seen once this client has read a reply that the server sent after the write".
  await client.do('PING');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await client.do('PING');
  expect(await client.do('GET', 'k')).toBe('db1 value');
  // Observed: 'db0 value', with stats().invalidations 0 and flushes 0.
  expect(await client.cache.do('GET', 'k')).toBe('db1 value');
  await client.close();
});
