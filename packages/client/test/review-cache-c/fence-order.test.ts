// Review 19c (minor). Callers hear back in the order their commands were sent - except a script
// call while the cache holds something: its caller is resolved through promise.then(() =>
// fence.then(...)), a few microtask turns after the fence's PONG, so a call sent after it (whose
// reply came after that PONG, in the same socket read) is resolved first. With caching off, or
// with nothing cached, the order is the wire's. Code that chains on replies (`.then` bookkeeping,
// a counter updated per reply) sees a different order depending on whether the cache holds
// anything. The fence's PONG arrives before the later call's reply, so resolving the script's
// caller when the PONG is read would keep the order.
import { describe, expect, it } from 'vitest';
import { useCacheServer } from '../review-cache-a/setup.js';

const env = useCacheServer();

async function settleOrder(client: ReturnType<typeof env.cachingClient>): Promise<string[]> {
  const order: string[] = [];
  const script = client.do('EVAL', 'return 1', 0).then(() => order.push('EVAL'));
  const read = client.do('GET', 'x').then(() => order.push('GET'));
  await Promise.all([script, read]);
  return order;
}

describe('callers of a script and of a call sent after it', () => {
  it('hear back in the order the commands were sent, whether the cache holds anything or not', async () => {
    const client = env.cachingClient();
    await client.do('SET', 'k', 'v');
    expect(await settleOrder(client)).toEqual(['EVAL', 'GET']);
    await client.cache.do('GET', 'k');
    // Fails: ['GET', 'EVAL'].
    expect(await settleOrder(client)).toEqual(['EVAL', 'GET']);
  });
});
