import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { type Connection, dial, tracingChannelNames } from '../../src/index.js';

// Review 2: the README says "Stores bound with bindStore are entered around a dial (runStores),
// not around a command". What it does not say: the socket is created inside that store, so every
// callback the connection's reads drive for the rest of its life runs inside the dial's store.
// With an APM tool that binds the active span to the connect channel (as OpenTelemetry's
// diagnostics_channel instrumentations do), push listeners -- RESP3 pub/sub messages,
// invalidations -- run with the long-ended connect span as their parent context, and the store
// value is kept alive as long as the connection. Expected: the dial's store is left when the dial
// settles; a push listener sees the context it was registered in (here: none).

const redis = useRedisServer();

it('a push listener does not run inside the store bound to the dial', async () => {
  const store = new AsyncLocalStorage<string>();
  const connect = tracingChannel(tracingChannelNames.connect);
  connect.start.bindStore(store, () => 'connect span');
  let conn: Connection;
  try {
    conn = await dial(redis.url, { protocol: 3 });
  } finally {
    connect.start.unbindStore(store);
  }
  const publisher = await dial(redis.url);
  const seen: unknown[] = [];
  conn.onPush(() => seen.push(store.getStore()));
  await conn.do('SUBSCRIBE', 'news');
  await publisher.do('PUBLISH', 'news', 'hello');
  await expect.poll(() => seen.length).toBeGreaterThan(0);
  await Promise.all([conn.close(), publisher.close()]);
  // Observed before the fix: [ 'connect span' ] (the subscribe confirmation may add one more).
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter((store) => store !== undefined)).toEqual([]);
});
