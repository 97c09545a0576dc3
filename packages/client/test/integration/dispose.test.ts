import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { type Client, createClient } from '../../src/index.js';

const redis = useRedisServer();

it('await using closes the client gracefully: calls issued in the block finish first', async () => {
  let outer: Client;
  let pending: Promise<unknown>;
  {
    await using client = createClient(redis.url);
    outer = client;
    pending = client.do('INCR', 'disposed');
  }
  expect(await pending).toBe(1);
  await expect(outer.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
});
