import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { type FakeServer, startFakeServer, useRedisServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial, newConn } from '../../src/index.js';

// close() lets issued commands finish; destroy() does not; every failure says whether it was sent.
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('close and destroy', () => {
  it('close() with 1,000 INCRs in flight lets every one finish with its reply', async () => {
    const conn = await dial(redis.url);
    const key = `close-incr:${Math.random()}`;
    const incrs = Array.from({ length: 1_000 }, () => conn.do('INCR', key));
    const closing = conn.close();
    await expect(conn.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED', sent: false });
    const replies = await Promise.all(incrs);
    expect(replies).toEqual(replies.map((_, index) => index + 1));
    await closing;
    expect(conn.err()?.code).toBe('ERR_CLOSED');
    const check = await dial(redis.url);
    expect(await check.do('GET', key)).toEqual(Buffer.from('1000'));
    await check.close();
  });

  it('close() gives up after its time limit and says the pending calls were sent', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const conn = await dial(fake.url);
    const pending = conn.do('GET', 'k').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await conn.close({ timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1_000);
    const failure = await pending;
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).sent).toBe(true);
  });

  it('destroy() rejects what is pending at once: written calls sent, unwritten not', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const conn = await dial(fake.url);
    const written = conn.do('GET', 'written').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const unwritten = conn.do('GET', 'unwritten').catch((error: unknown) => error);
    const reason = new Error('shutting down');
    conn.destroy(reason);
    const [first, second] = await Promise.all([written, unwritten]);
    expect(first).toMatchObject({ code: 'ERR_DESTROYED', sent: true, cause: reason });
    expect(second).toMatchObject({ code: 'ERR_DESTROYED', sent: false, cause: reason });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.connections[0]?.commands.map((command) => command[1])).toEqual(['written']);
  });
});

describe('writes', () => {
  it('adds no socket listeners per flush under backpressure', async () => {
    const socket = connect(redis.server.port, '127.0.0.1');
    await once(socket, 'connect');
    const conn = newConn(socket);
    const before = { close: socket.listenerCount('close'), drain: socket.listenerCount('drain') };
    const big = Buffer.alloc(256 * 1024, 1);
    const flushes: Promise<void>[] = [];
    for (let index = 0; index < 200; index++) {
      conn.send('SET', `big-${index % 4}`, big);
      flushes.push(conn.flush());
    }
    await Promise.all(flushes);
    expect(await conn.do('')).toHaveLength(200);
    expect(socket.listenerCount('close')).toBe(before.close);
    expect(socket.listenerCount('drain')).toBeLessThanOrEqual(before.drain + 1);
    await conn.close();
  });

  it('sends an argument over 512 MiB when maxArgBytes allows it', async () => {
    // A listener that counts bytes and answers +OK once the whole command is in.
    const size = 512 * 1024 * 1024 + 1;
    const header = `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`;
    const expected = header.length + size + 2;
    const server = createServer((socket) => {
      let received = 0;
      socket.on('data', (chunk) => {
        received += chunk.length;
        if (received === expected) socket.write('+OK\r\n');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const conn = await dial(`redis://127.0.0.1:${port}`, { maxArgBytes: 1024 * 1024 * 1024 });
      expect(await conn.do('SET', 'k', Buffer.alloc(size))).toBe('OK');
      conn.destroy();
    } finally {
      server.close();
    }
  });
});
