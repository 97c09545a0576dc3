import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial } from '../../src/index.js';

// Only what answers the awaited command resets the read deadline: push frames (whole or cut),
// RESP2 messages and the socket taking later writes do not.
let fake: FakeServer | undefined;
let timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers = [];
  await fake?.close();
  fake = undefined;
});

/** How long `call` took to reject with ConnectionError; fails the test if it resolves. */
async function rejectionMs(call: Promise<unknown>): Promise<number> {
  const started = Date.now();
  const failure = await call.then(
    () => new Error('resolved'),
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ConnectionError);
  return Date.now() - started;
}

const push = Buffer.from('>3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$7\r\npayload\r\n');

describe('a server that never answers but keeps sending', () => {
  it.each([
    ['whole', (write: (bytes: Buffer) => void) => write(push)],
    [
      'each cut in two chunks',
      (write: (bytes: Buffer) => void) => {
        write(push.subarray(0, 10));
        setTimeout(() => write(push.subarray(10)), 20);
      },
    ],
    [
      'each cut after its type byte',
      (write: (bytes: Buffer) => void) => {
        write(push.subarray(0, 1));
        setTimeout(() => write(push.subarray(1)), 20);
      },
    ],
  ])('RESP3 push frames %s do not keep GET pending past readTimeoutMs', async (_, send) => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name?.toUpperCase() === 'HELLO') return new Map([['proto', 3]]);
        timers.push(setInterval(() => send((bytes) => connection.write(bytes)), 100));
        return undefined;
      },
    });
    const conn = await dial(fake.url, { protocol: 3, readTimeoutMs: 500 });
    conn.onPush(() => {});
    const waited = await rejectionMs(conn.do('GET', 'k'));
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(1_500);
  });

  it.each([
    ['whole', 0],
    ['each cut at byte 10', 10],
  ])('RESP2 messages %s do not keep PING pending past readTimeoutMs', async (_, cutAt) => {
    const message = Buffer.from('*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$7\r\npayload\r\n');
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name?.toUpperCase() === 'SUBSCRIBE') return ['subscribe', 'chan', 1];
        const send = () => {
          connection.write(message.subarray(0, cutAt || message.length));
          if (cutAt) setTimeout(() => connection.write(message.subarray(cutAt)), 20);
        };
        timers.push(setInterval(send, 100));
        return undefined;
      },
    });
    const conn = await dial(fake.url, { readTimeoutMs: 500 });
    await conn.do('SUBSCRIBE', 'chan');
    const waited = await rejectionMs(conn.do('PING'));
    expect(waited).toBeLessThan(1_500);
  });

  it('a server that takes every write but answers none: 1 MiB SETs every 200 ms', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const conn = await dial(fake.url, { readTimeoutMs: 500 });
    const first = rejectionMs(conn.do('SET', 'k', Buffer.alloc(1024 * 1024)));
    timers.push(
      setInterval(() => {
        conn.do('SET', 'k', Buffer.alloc(1024 * 1024)).catch(() => {});
      }, 200),
    );
    expect(await first).toBeLessThan(1_500);
  });
});

describe('a reply that arrives slowly but steadily', () => {
  it('is progress, also with a RESP2 SUBSCRIBE pipelined after it', async () => {
    const value = 'v'.repeat(20_000);
    const wire = Buffer.from(`$${value.length}\r\n${value}\r\n`);
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name?.toUpperCase() === 'SUBSCRIBE') return undefined;
        void connection
          .writeSlowly(wire, 1_000, 100)
          .then(() => connection.reply(['subscribe', 'ch', 1]));
        return undefined;
      },
    });
    const conn = await dial(fake.url, { readTimeoutMs: 800 });
    const value_ = conn.do('GET', 'slow');
    const subscribed = conn.do('SUBSCRIBE', 'ch');
    expect(((await value_) as Buffer).length).toBe(20_000);
    expect(await subscribed).toBeNull();
    conn.destroy();
  });
});
