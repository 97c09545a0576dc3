import { dial, TimeoutError } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { Pool } from '../../src/index.js';

const redis = useRedisServer();

it('rejects a timed-out call after send on a pooled connection and keeps it in step', async () => {
  const pool = new Pool({ dial: () => dial(redis.url), maxActive: 2 });
  const sleeper = await dial(redis.url);
  const pooled = await pool.get();
  const sleeping = sleeper.do('DEBUG', 'SLEEP', 0.5);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  pooled.send('SET', 'pooled-after-send', 'v');
  const failure = await pooled.doWith({ timeoutMs: 100 }, 'GET', 'k').catch((e) => e);
  expect(failure).toBeInstanceOf(TimeoutError);
  await sleeping;
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', record);
  expect(unhandled).toEqual([]);
  expect(await pooled.do('ECHO', 'still')).toEqual(Buffer.from('still'));
  await pooled.close();
  await Promise.all([pool.close(), sleeper.close()]);
});
