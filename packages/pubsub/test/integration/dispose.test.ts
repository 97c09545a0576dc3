import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { PubSubConn, Subscriber } from '../../src/index.js';

const redis = useRedisServer();

it('await using closes a PubSubConn and its connection', async () => {
  let conn: Connection | undefined;
  {
    conn = await dial(redis.url);
    await using psc = new PubSubConn(conn);
    await psc.subscribe('news');
  }
  expect(conn.err()).toMatchObject({ code: 'ERR_CLOSED' });
});

it('await using closes a Subscriber: readers end, no connection stays open', async () => {
  const admin = await dial(redis.url);
  let reading: Promise<unknown>;
  {
    await using subscriber = new Subscriber({
      dial: ({ signal }) => dial(redis.url, { signal, clientName: 'disposed-subscriber' }),
    });
    await subscriber.subscribe('news');
    reading = subscriber.receive().catch((error: unknown) => error);
  }
  expect(await reading).toMatchObject({ code: 'ERR_CLOSED' });
  const clients = String(await admin.do('CLIENT', 'LIST'));
  expect(clients).not.toContain('name=disposed-subscriber');
  await admin.close();
});
