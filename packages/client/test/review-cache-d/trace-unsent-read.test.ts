// Review 19d. Every command traced on the x:conn:command TracingChannel ends there (asyncEnd),
// once, as tracePromise would: the client's own carried-over calls do. A cache miss does not when
// its read cannot go out on the tracked connection: ServerRead.sendOn() makes its requests with
// newRequest() - which publishes `start` for CLIENT CACHING YES, the read and each PTTL - before
// submitRequest() finds the connection refusing, and then drops them; the read waits for the next
// connection and is sent there as new requests, traced again. The first three contexts never
// see asyncStart/asyncEnd: a tracer that opens a span at start (OpenTelemetry's) keeps those
// spans open for ever, one set per attempt. The window: the connection has failed (here
// readTimeoutMs) and the client has not yet heard of it on conn.closed; a caller whose call just
// failed with it and falls back to the cache lands in it every time. (exclusive()'s round trip
// PING has the same shape: made, then dropped when submitRequest() refuses.)
import { tracingChannel } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useCacheServer } from '../review-cache-a/setup.js';

const env = useCacheServer();

describe('tracing of a cache miss made while the connection has just failed (real server)', () => {
  it('every traced command ends', async () => {
    const channel = tracingChannel('x:conn:command');
    const open = new Map<object, string>();
    const handlers = {
      start: (context: unknown) => {
        open.set(context as object, (context as { command: string }).command);
      },
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (context: unknown) => {
        open.delete(context as object);
      },
      error: () => {},
    };
    channel.subscribe(handlers);
    try {
      const client = env.cachingClient({}, { readTimeoutMs: 200 });
      await client.do('SET', 'k', 'v');
      await client.do('PING');
      // The server is busy for 600 ms (another client's command): this client's PING times out.
      const busy = env.writer.do('DEBUG', 'SLEEP', '0.6');
      await sleep(20);
      const ping = await client.do('PING').catch((error: unknown) => error);
      expect(ping).toMatchObject({ name: 'ConnectionError' });
      // The caller falls back to the cache: a miss, read on the next connection.
      expect(await client.cache.do('GET', 'k')).toBe('v');
      await busy;
      await client.close();
    } finally {
      channel.unsubscribe(handlers);
    }
    // Fails: [ 'CLIENT', 'GET', 'PTTL' ] - the first attempt's requests, started and never ended.
    expect([...open.values()]).toEqual([]);
  });
});
