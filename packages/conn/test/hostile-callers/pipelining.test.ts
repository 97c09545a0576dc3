import { once } from 'node:events';
import { connect } from 'node:net';
import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { newConn } from '../../src/index.js';

// Probe: "every command issued in the same tick leaves in one socket write".
const redis = useRedisServer();

const countedConn = async () => {
  const socket = connect(redis.server.port, '127.0.0.1');
  await once(socket, 'connect');
  const counter = { writes: 0 };
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    // flush() adds an empty write as a marker; count only writes that carry bytes.
    if (args[0] !== '') counter.writes++;
    return write(...args);
  }) as typeof socket.write;
  return { conn: newConn(socket), counter };
};

describe('automatic pipelining', () => {
  it('a send() followed by 100 do() calls in the same tick leaves in one write', async () => {
    const { conn, counter } = await countedConn();
    conn.send('SET', 'adv:pipe', 'x');
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, index) => conn.do('ECHO', `e${index}`)),
    );
    expect(replies.map(String)).toEqual(replies.map((_, index) => `e${index}`));
    expect(counter.writes).toBe(1);
    await conn.close();
  });

  it('control: 100 do() calls without a send leave in one write', async () => {
    const { conn, counter } = await countedConn();
    await Promise.all(Array.from({ length: 100 }, (_, index) => conn.do('ECHO', `e${index}`)));
    expect(counter.writes).toBe(1);
    await conn.close();
  });
});
