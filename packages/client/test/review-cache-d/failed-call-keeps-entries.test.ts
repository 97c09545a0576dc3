// Review 19d. A lost connection drops every entry ("a lost connection (the server forgets what it
// tracked) drop every entry"), and review 19c's fix made the script fence and exclusive()'s round
// trip drop the cache at once when their PING fails, on the grounds that "calls of the client's
// own do not have this gap: a failed request goes through #takeBack, which tells the cache at
// once". That holds only for requests with a carryOver taken: a call that was WRITTEN when the
// connection failed and is not `idempotent` is failed directly by the connection
// (carriedOver() returns false at once for !keepsWire), so nothing tells the cache. The cache
// drops its entries only in #lost, on conn.closed: the socket's 'close' event, a later turn of the
// event loop after the failure (readTimeoutMs, a write timeout, a protocol error, the keep-alive).
// The caller whose call just failed with ConnectionError (sent: true) - it knows the connection
// is dead - resumes first, and a cached read it makes is answered from the dead connection's
// entries, whose invalidations were lost with it.
//
// A scripted server (review-cache-c/fake-tracking.ts) for the one thing a real server cannot be
// made to do: leave an invalidation undelivered while the connection is still open.
import { dial } from '@x/conn';
import { describe, expect, it } from 'vitest';
import { fakeClient, startFakeTracking } from '../review-cache-c/fake-tracking.js';

describe('a call of the client fails with its connection (readTimeoutMs)', () => {
  it('a cached read its caller makes next is not answered from the dead connection', async () => {
    const server = await startFakeTracking();
    const client = fakeClient(server, { readTimeoutMs: 300 });
    server.values.set('k', 'before');
    expect(await client.cache.do('GET', 'k')).toBe('before');
    // The shared connection goes silent: nothing more comes back on it, invalidations included.
    server.stalled.add(server.fake.connections[0]!);
    // Another connection's write is acknowledged.
    const other = await dial(server.fake.url, { decoder: { bulkStringsAs: 'string' } });
    try {
      expect(await other.do('SET', 'k', 'after')).toBe('OK');
    } finally {
      other.destroy();
    }
    // This client's next call (a PING, as the README advises before relying on another
    // connection's write) fails: the connection is dead, and the caller is told so.
    const ping = await client.do('PING').catch((error: unknown) => error);
    expect(ping).toMatchObject({ name: 'ConnectionError', sent: true });
    const read = await client.cache.do('GET', 'k').catch((error: unknown) => error);
    // Fails: 'before' (a hit; stats: flushes 0, entries 1), after the caller was told the
    // connection is gone.
    expect(read).not.toBe('before');
  });
});
