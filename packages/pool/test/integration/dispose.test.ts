import { dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { Pool, PoolClosedError } from '../../src/index.js';

const redis = useRedisServer();

it('await using returns a pooled connection, and closes the pool', async () => {
  let outer: Pool;
  {
    await using pool = new Pool({ dial: () => dial(redis.url) });
    outer = pool;
    {
      await using conn = await pool.get();
      await conn.do('SET', 'k', 'v');
      expect(pool.stats()).toMatchObject({ activeCount: 1, idleCount: 0 });
    }
    expect(pool.stats()).toMatchObject({ activeCount: 1, idleCount: 1 });
  }
  expect(outer.stats()).toMatchObject({ activeCount: 0, idleCount: 0 });
  await expect(outer.get()).rejects.toBeInstanceOf(PoolClosedError);
});

it('a pooled connection disposed with a transaction open goes back clean', async () => {
  await using pool = new Pool({ dial: () => dial(redis.url), maxActive: 1 });
  {
    await using conn = await pool.get();
    await conn.do('MULTI');
    await conn.do('SET', 'never', 'x');
  }
  await using again = await pool.get();
  expect(await again.do('GET', 'never')).toBeNull();
});
