// cache options are checked at createClient ("refuses what it cannot cache, clearly, before
// sending anything"), but BCAST prefixes that overlap are not: the server refuses every
// CLIENT TRACKING ON BCAST with them, so the client never becomes ready and every call (cached
// or not) fails with ERR_HANDSHAKE for as long as it lives, redialling all along.
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { useCacheServer } from './setup.js';

const env = useCacheServer();

describe('BCAST prefixes the server always refuses', () => {
  it('are refused at createClient, like other bad cache options', async () => {
    let made: ReturnType<typeof createClient> | undefined;
    try {
      expect(() => {
        made = createClient(env.redis.url, {
          protocol: 3,
          cache: { mode: 'bcast', prefixes: ['user:', 'user:1'] },
        });
      }).toThrow(/overlap/);
    } finally {
      // Today: made, stuck in 'connecting'; client.do('PING') rejects with ERR_HANDSHAKE
      // "Prefix 'user:' overlaps with another provided prefix 'user:1'".
      made?.destroy();
    }
  });
});
