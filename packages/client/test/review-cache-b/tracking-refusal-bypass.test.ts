// Review 19b: the shared connection refuses CLIENT TRACKING (README: "use the cache option"), and
// the cache relies on that refusal to stay "never stale". The refusal reads only a plain string
// or bytes as the subcommand, so the same command written with an array argument (`Arg` allows
// `readonly ScalarArg[]`, flattened one level) or a RedisArgument object goes through. The server
// turns tracking off, sends no more invalidations, and the cache serves the old value for ever
// (no reconnect comes to flush it). Expected: refused with NeedsOwnConnectionError, as
// `client.do('CLIENT', 'TRACKING', 'OFF')` is; the cache keeps seeing other connections' writes.
import { type Connection, dial } from '@x/conn';
import type { RedisArgument } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, NeedsOwnConnectionError } from '../../src/index.js';

const redis = useRedisServer();
let writer: Connection;
const clients: Client[] = [];

beforeAll(async () => {
  writer = await dial(redis.url, { decoder: { bulkStringsAs: 'string' } });
});
afterAll(() => writer?.close());
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await writer.do('FLUSHALL');
});

function cachingClient(): Client {
  const client = createClient(redis.url, {
    protocol: 3,
    cache: {},
    decoder: { bulkStringsAs: 'string' },
  });
  clients.push(client);
  return client;
}

const subcommand: RedisArgument = { toRedisArg: () => 'TRACKING' };
const spellings: [string, unknown[]][] = [
  ["['TRACKING', 'OFF'] as one array argument", [['TRACKING', 'OFF']]],
  ['a RedisArgument whose wire form is TRACKING', [subcommand, 'OFF']],
];

describe('CLIENT TRACKING OFF on the caching client', () => {
  it('is refused when written plainly (control)', async () => {
    const client = cachingClient();
    await expect(client.do('CLIENT', 'TRACKING', 'OFF')).rejects.toBeInstanceOf(
      NeedsOwnConnectionError,
    );
  });

  for (const [label, args] of spellings) {
    it(`is refused when written as ${label}, so the cache cannot go stale`, async () => {
      const client = cachingClient();
      await writer.do('SET', 'k', 'v1');
      expect(await client.cache.do('GET', 'k')).toBe('v1');
      // Observed: resolves 'OK' -- the server turned tracking off on the shared connection.
      const outcome = await client.do('CLIENT', ...(args as string[])).then(
        (reply) => reply,
        (error: unknown) => error,
      );
      expect.soft(outcome).toBeInstanceOf(NeedsOwnConnectionError);

      // Whatever happened above, the cache must not serve a value the server replaced.
      await writer.do('SET', 'k', 'v2');
      await client.do('PING'); // a reply read after the write: its invalidation came first
      // Observed: 'v1', and it stays 'v1' (no invalidation will ever come).
      expect(await client.cache.do('GET', 'k')).toBe('v2');
    });
  }
});
