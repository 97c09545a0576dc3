// Review 19c. MGET and GET disagree on a key of another type: MGET answers nil, GET rejects
// with WRONGTYPE. Review 19a's fix keeps an MGET's nil for such a key out of the GET entry, but
// a GET and an MGET that are on their way together still share one PendingItem (both named
// 'GET'): whichever is sent first answers the other.
//  - GET joins an MGET in flight: the GET of a hash resolves to null (not WRONGTYPE);
//  - MGET joins a GET in flight: the GET's WRONGTYPE fails the whole MGET, where the server
//    answers [nil, <the other keys' values>].
// Either way the answer depends on timing: issued one after another, each is right.
import { describe, expect, it } from 'vitest';
import { useCacheServer } from '../review-cache-a/setup.js';

const env = useCacheServer();

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ code: (error as { code?: unknown }).code }),
  );

describe('GET and MGET of a key of another type, on their way together', () => {
  it('a GET asked while an MGET naming the hash is on its way rejects with WRONGTYPE', async () => {
    const client = env.cachingClient();
    await env.writer.do('HSET', 'h', 'f', 'v');
    await env.writer.do('SET', 's', 'x');
    await client.do('PING');
    const mget = outcome(client.cache.do('MGET', 'h', 's'));
    const get = outcome(client.cache.do('GET', 'h'));
    expect(await mget).toEqual({ value: [null, 'x'] });
    // Fails: { value: null }.
    expect(await get).toEqual({ code: 'WRONGTYPE' });
  });

  it('an MGET asked while a GET of the hash is on its way answers [nil, value] as the server does', async () => {
    const client = env.cachingClient();
    await env.writer.do('HSET', 'h', 'f', 'v');
    await env.writer.do('SET', 's', 'x');
    await client.do('PING');
    const get = outcome(client.cache.do('GET', 'h'));
    const mget = outcome(client.cache.do('MGET', 'h', 's'));
    expect(await get).toEqual({ code: 'WRONGTYPE' });
    expect(await client.do('MGET', 'h', 's')).toEqual([null, 'x']);
    // Fails: { code: 'WRONGTYPE' }.
    expect(await mget).toEqual({ value: [null, 'x'] });
  });
});
