// Review 19b: cache options that are accepted but do not do what they say.
//  1. BCAST prefixes that overlap (['user:', 'user:1'], or the same prefix twice) are accepted by
//     createClient; the server refuses `CLIENT TRACKING ON BCAST PREFIX user: PREFIX user:1`
//     ("Prefixes for a single client must not overlap"), which the client treats as a refused
//     handshake: every call, cached or not (client.do('PING') too), rejects with ERR_HANDSHAKE,
//     and it dials again for ever. A local, checkable mistake should be a TypeError/RangeError
//     from createClient, as other bad cache options are (readCacheOptions), with nothing sent.
//  2. A call's `ttlMs` is documented as shortening the entry's life ("may shorten how long its
//     value is kept", README: "a shorter life for this entry"), and the cache's `ttlMs` as "How
//     long an entry may be served from memory at most". A call's ttlMs longer than the cache's
//     (or Infinity) replaces the cache's cap instead: the entry is served past it.
import { useRedisServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient } from '../../src/index.js';

const redis = useRedisServer();
const clients: Client[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

describe('BCAST prefixes the server will refuse', () => {
  for (const prefixes of [
    ['user:', 'user:1'],
    ['a:', 'a:'],
  ])
    it(`createClient refuses prefixes ${JSON.stringify(prefixes)} instead of a client whose every call fails`, async () => {
      let client: Client | undefined;
      let thrown: unknown;
      try {
        client = createClient(redis.url, { protocol: 3, cache: { mode: 'bcast', prefixes } });
        clients.push(client);
      } catch (error) {
        thrown = error;
      }
      if (client !== undefined) {
        // Observed: rejects with ConnectionError ERR_HANDSHAKE "the server refused the
        // connection's handshake: ERR Prefix 'user:' overlaps with another provided prefix
        // 'user:1'..." -- a plain PING, on a client whose server is up.
        const ping = await client.doWith({ timeoutMs: 2_000 }, 'PING').catch((error) => error);
        expect.soft(ping).toBe('PONG');
      }
      // Observed: nothing thrown.
      expect(thrown instanceof TypeError || thrown instanceof RangeError).toBe(true);
    });
});

describe("a call's ttlMs and the cache's ttlMs", () => {
  for (const callTtl of [60_000, Number.POSITIVE_INFINITY])
    it(`a call's ttlMs ${callTtl} does not keep an entry past the cache's ttlMs (100 ms)`, async () => {
      const client = createClient(redis.url, {
        protocol: 3,
        cache: { ttlMs: 100 },
        decoder: { bulkStringsAs: 'string' },
      });
      clients.push(client);
      await client.do('SET', 'k', 'v');
      expect(await client.cache.doWith({ ttlMs: callTtl }, 'GET', 'k')).toBe('v');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await client.cache.do('GET', 'k')).toBe('v');
      // Observed: { hits: 1, expired: 0 } -- served 300 ms after the read, past the cache's
      // "at most" 100 ms.
      expect(client.cache.stats()).toMatchObject({ hits: 0, expired: 1 });
    });
});
