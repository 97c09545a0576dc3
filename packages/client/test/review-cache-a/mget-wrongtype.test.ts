// MGET is cached "one GET entry per key, so a later GET of one of them is a hit". But MGET and
// GET disagree on a key of another type: MGET answers nil, GET answers WRONGTYPE. The nil MGET
// read is kept as the key's GET entry, so a cached GET of a hash returns null where the server
// (and the same cached GET, before the MGET) reject.
import { ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { useCacheServer } from './setup.js';

const env = useCacheServer();

describe('MGET entries reused as GET', () => {
  it('a cached GET of a hash rejects with WRONGTYPE, also after an MGET that named it', async () => {
    const client = env.cachingClient();
    await env.writer.do('HSET', 'h', 'f', 'v');
    const direct = await client.do('GET', 'h').catch((error: unknown) => error);
    expect(ReplyError.is(direct) && direct.code).toBe('WRONGTYPE');
    await expect(client.cache.do('GET', 'h')).rejects.toMatchObject({ code: 'WRONGTYPE' });
    // MGET answers nil for a key of another type, as the server does.
    expect(await client.cache.do('MGET', 'h')).toEqual([null]);
    // Fails: resolves to null, served from the MGET's entry.
    await expect(client.cache.do('GET', 'h')).rejects.toMatchObject({ code: 'WRONGTYPE' });
  });
});
