import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial } from '../../src/index.js';
import { sleep } from './helpers.js';

// Probes: ConnectionError.sent must be true whenever the server may have run the command.
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const silentServer = async () => {
  fake = await startFakeServer({ onCommand: ([name]) => (name === 'INCR' ? undefined : 'OK') });
  return fake;
};

describe('sent flag', () => {
  it('receive() waiting for a written send rejects with sent: true when the server hangs up', async () => {
    const server = await silentServer();
    const conn = await dial(server.url);
    conn.send('INCR', 'counter');
    await conn.flush();
    const waiting = conn.receive().catch((error: unknown) => error);
    await sleep(50);
    expect(server.connections[0]?.commands).toContainEqual(['INCR', 'counter']); // it was written
    server.connections[0]?.hangUp();
    const failure = await waiting;
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).sent).toBe(true);
  });

  it('receive() called after the failure, for a written send, says sent: true', async () => {
    const server = await silentServer();
    const conn = await dial(server.url);
    conn.send('INCR', 'counter');
    await conn.flush();
    await sleep(50);
    server.connections[0]?.hangUp();
    await conn.closed;
    const failure = await conn.receive().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).sent).toBe(true);
  });

  it('do() collecting a written send says sent: true (control: this one holds)', async () => {
    const server = await silentServer();
    const conn = await dial(server.url);
    conn.send('INCR', 'counter');
    await conn.flush();
    await sleep(50);
    const collecting = conn.do('').catch((error: unknown) => error);
    server.connections[0]?.hangUp();
    const failure = await collecting;
    expect((failure as ConnectionError).sent).toBe(true);
  });

  it('destroy() during a flush under backpressure: unwritten commands say sent: false', async () => {
    fake = await startFakeServer({
      onConnection: (connection) => connection.socket.pause(), // never reads: backpressure
    });
    const conn = await dial(fake.url);
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const calls = Array.from({ length: 20 }, (_, index) =>
      conn.do('SET', `k${index}`, big).catch((error: unknown) => error),
    );
    await sleep(100);
    conn.destroy(new Error('stop'));
    const failures = (await Promise.all(calls)) as ConnectionError[];
    // Some were handed to the socket (sent: true); the last ones never left the queue.
    expect(failures.every((failure) => ConnectionError.is(failure))).toBe(true);
    expect(failures[failures.length - 1]?.sent).toBe(false);
  });
});
