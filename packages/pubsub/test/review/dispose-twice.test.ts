import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { Subscriber } from '../../src/index.js';

// Review: Subscriber[Symbol.asyncDispose] (close()) resolves at once when close() already
// started (`if (this.#closed) return;`), before the connection has closed. An `await using`
// block that ends after a shutdown hook called close() (not awaited) finishes with the
// subscription's connection still open. (PubSubConn and Connection return the same promise.)

const redis = useRedisServer();

it('a second dispose resolves only once the connection has closed', async () => {
  const connections: Connection[] = [];
  let socketsClosed = 0;
  const subscriber = new Subscriber({
    dial: async ({ signal }) => {
      const conn = await dial(redis.url, { signal });
      connections.push(conn);
      void conn.closed.then(() => socketsClosed++);
      return conn;
    },
  });
  await subscriber.subscribe('news');
  const shutdownHook = subscriber.close(); // started elsewhere, not awaited there
  await subscriber[Symbol.asyncDispose](); // the `await using` block ends
  // Observed: 0, the socket is still open.
  expect(socketsClosed).toBe(1);
  await shutdownHook;
});
