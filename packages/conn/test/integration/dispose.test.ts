import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { type Connection, ConnectionError, dial, newLoggingConn } from '../../src/index.js';

const redis = useRedisServer();

it('await using closes a connection gracefully: calls issued in the block finish first', async () => {
  let outer: Connection;
  let pending: Promise<unknown>;
  {
    await using conn = await dial(redis.url);
    outer = conn;
    pending = conn.do('INCR', 'disposed');
  }
  expect(await pending).toBe(1);
  expect(outer.err()).toMatchObject({ code: 'ERR_CLOSED' });
  await outer.closed;
  await expect(outer.do('PING')).rejects.toBeInstanceOf(ConnectionError);
});

it('disposing a connection that already failed resolves', async () => {
  const conn = await dial(redis.url);
  conn.destroy(new Error('gone'));
  await expect(conn[Symbol.asyncDispose]()).resolves.toBeUndefined();
});

it('await using on the logging wrapper closes the connection, logged as close()', async () => {
  const lines: string[] = [];
  const conn = await dial(redis.url);
  {
    await using logged = newLoggingConn(conn, (line) => lines.push(line), 'app');
    await logged.do('PING');
  }
  expect(lines).toEqual(["app.do('PING') -> ('PONG', null)", 'app.close() -> (undefined, null)']);
  expect(conn.err()).toMatchObject({ code: 'ERR_CLOSED' });
});
