// `CLIENT TRACKING` is refused on the shared connection ("would stop silently at the next
// reconnect"), but only when the subcommand is a plain string or bytes. As an array argument
// (flattened one level by the encoder) or a RedisArgument it goes through, turns tracking off
// behind the cache's back, and every entry held is then served for ever: no invalidation comes.
import type { Arg } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { useCacheServer } from './setup.js';

const env = useCacheServer();

describe('CLIENT TRACKING OFF slipped past the shared-command refusal', () => {
  const forms: [string, Arg[]][] = [
    ['an array argument', [['TRACKING', 'OFF']]],
    ['a RedisArgument', [{ toRedisArg: () => 'TRACKING' }, 'OFF']],
  ];
  for (const [form, args] of forms) {
    it(`is refused when the subcommand is ${form}, like the string form`, async () => {
      const client = env.cachingClient();
      await expect(client.do('CLIENT', 'TRACKING', 'OFF')).rejects.toMatchObject({
        code: 'ERR_NEEDS_OWN_CONNECTION',
      });
      // Fails: the reply is OK, tracking is off on the shared connection.
      await expect(client.do('CLIENT', ...args)).rejects.toMatchObject({
        code: 'ERR_NEEDS_OWN_CONNECTION',
      });
    });

    it(`never serves a value older than the server's after ${form} went through`, async () => {
      const client = env.cachingClient();
      await env.writer.do('SET', 'k', 'v1');
      expect(await client.cache.do('GET', 'k')).toBe('v1');
      await client.do('CLIENT', ...args).catch(() => {});
      await env.writer.do('SET', 'k', 'v2');
      // Replies read after the write, as the README's rule for other connections asks.
      await client.do('PING');
      expect(await client.do('GET', 'k')).toBe('v2');
      // Fails: 'v1' from memory, and it stays for ever.
      expect(await client.cache.do('GET', 'k')).toBe('v2');
    });
  }
});
