// Review 19c. The fence PING behind a script, and exclusive()'s round trip, are there so that
// the caller hears back only once the cache has dropped what was written elsewhere. When that
// PING fails instead (the connection dies after the script's reply: readTimeoutMs, or any
// failure other than a socket 'close' event), its failure is swallowed and the caller resumes
// at once - with the script's reply, as if fenced - while the cache still holds the entries
// whose invalidations were lost with the connection. The cache drops them only when the client
// hears of the loss (conn.closed, a later event-loop turn). A cached read made by the resumed
// caller returns the value from before the script's (or the work's) acknowledged write.
// (Calls of the client's own do not have this gap: a failed request goes through #takeBack,
// which tells the cache at once; the PINGs have no carryOver.)
import { describe, expect, it } from 'vitest';
import { fakeClient, startFakeTracking } from './fake-tracking.js';

describe('the round trip that makes other writes visible fails', () => {
  it('a cached read right after a script call never returns the value from before the script', async () => {
    const server = await startFakeTracking();
    const client = fakeClient(server, { readTimeoutMs: 300 });
    server.values.set('hidden', 'before');
    expect(await client.cache.do('GET', 'hidden')).toBe('before');
    // The script writes 'hidden' (not among its keys); the connection dies silently after the
    // script's reply, before the invalidation and the fence's PONG.
    server.afterEval = (connection) => server.stalled.add(connection);
    const reply = await client
      .do('EVAL', "redis.call('SET', 'hid'..'den', 'after')", 0)
      .catch((error: unknown) => error);
    expect(server.values.get('hidden')).toBe('after');
    const read = await client.cache.do('GET', 'hidden').catch((error: unknown) => error);
    // Fails: 'before' (the script resolved with 'OK'; the entry is still held, flushes 0).
    expect({ reply, read }).not.toMatchObject({ read: 'before' });
  });

  it('a cached read right after exclusive() never returns the value from before the work', async () => {
    const server = await startFakeTracking();
    const client = fakeClient(server, { readTimeoutMs: 300 });
    server.values.set('k', 'before');
    expect(await client.cache.do('GET', 'k')).toBe('before');
    const shared = server.fake.connections[0]!;
    // The work's write is acknowledged on its own connection; the shared connection dies
    // silently before the server's invalidation (and the round trip's PONG) reach it.
    server.onSet = (connection) => {
      if (connection !== shared) server.stalled.add(shared);
    };
    await client.exclusive((conn) => conn.do('SET', 'k', 'after'));
    const read = await client.cache.do('GET', 'k').catch((error: unknown) => error);
    // Fails: 'before'.
    expect(read).not.toBe('before');
  });
});
