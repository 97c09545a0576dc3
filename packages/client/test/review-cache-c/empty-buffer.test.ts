// Review 19c. With the default decoder (bulk strings as Buffers), a cached read whose reply
// holds Buffers that are all empty (GET of "", LRANGE of [""]) crashes holdReply: bufferBytes()
// is 0, so no pack is allocated, and freeze() then writes the empty Buffer into `null`
// (frozen-reply.ts, `state.pack!.set`). The TypeError escapes from the PTTL reply's sink into
// the decoder, so the shared connection fails as "invalid reply from server":
//  - the cached caller's promise never settles (the read's requests were cleared before the
//    throw, so the connection's failure is ignored by the read; nothing time-limits it);
//  - every other call in flight on the shared connection fails with ConnectionError (sent:
//    true), although the server ran it;
//  - the cache is flushed and the client reconnects; every later cached read of the key does
//    it again. MGET does it too when any key it fetches holds "" (one holdReply per key).
import { describe, expect, it } from 'vitest';
import { useCacheServer } from '../review-cache-a/setup.js';

const env = useCacheServer();

/** The outcome of `promise`, or 'pending' when it has not settled within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

describe('cached replies made only of empty Buffers (the default decoder)', () => {
  it('a cached GET of an empty string answers an empty Buffer, like client.do', async () => {
    const client = env.cachingClient({}, { decoder: {} });
    await env.writer.do('SET', 'empty', '');
    expect(await client.do('GET', 'empty')).toEqual(Buffer.alloc(0));
    // Fails: never settles.
    expect(await within(client.cache.do('GET', 'empty'), 2_000)).toEqual({
      value: Buffer.alloc(0),
    });
  });

  it('a cached LRANGE of [""] answers [<empty Buffer>]', async () => {
    const client = env.cachingClient({}, { decoder: {} });
    await env.writer.do('RPUSH', 'list', '');
    expect(await within(client.cache.do('LRANGE', 'list', 0, -1), 2_000)).toEqual({
      value: [Buffer.alloc(0)],
    });
  });

  it('does not fail the other calls in flight on the shared connection', async () => {
    const client = env.cachingClient({}, { decoder: {} });
    await env.writer.do('SET', 'empty', '');
    await client.do('PING');
    void client.cache.do('GET', 'empty');
    const other = client.do('INCR', 'counter');
    const outcome = await within(other, 2_000);
    // Fails: { error: ConnectionError (sent: true) }, although the server ran the INCR.
    expect(outcome).toEqual({ value: 1 });
    expect(await env.writer.do('GET', 'counter')).toEqual(Buffer.from('1'));
    expect(client.cache.stats().flushes).toBe(0);
  });
});
