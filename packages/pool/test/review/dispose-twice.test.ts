import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { Pool } from '../../src/index.js';

// Review: Pool[Symbol.asyncDispose] (close()) resolves at once when close() already started:
// `if (this.#closed) return;`. An `await using pool` whose block ends after a shutdown hook
// called pool.close() (not awaited) therefore "finishes" while the idle connections are still
// open. Connection.close() does it right: a second call returns the same `closed` promise.

const redis = useRedisServer();

it('a second dispose resolves only once the idle connections are closed', async () => {
  const closed: Connection[] = [];
  const pool = new Pool({
    dial: async () => {
      const conn = await dial(redis.url);
      void conn.closed.then(() => closed.push(conn));
      return conn;
    },
  });
  const first = await pool.get();
  const second = await pool.get();
  await first.close();
  await second.close();
  expect(pool.stats().idleCount).toBe(2);

  const shutdownHook = pool.close(); // started elsewhere, not awaited there
  await pool[Symbol.asyncDispose](); // the `await using` block ends
  // Observed: 0 closed.
  expect(closed).toHaveLength(2);
  await shutdownHook;
});
