import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Message,
  PMessage,
  Pong,
  PubSubConn,
  type PubSubEvent,
  Subscription,
} from '../../src/index.js';

const redis = useRedisServer();
let publisher: Connection;

beforeAll(async () => {
  publisher = await dial(redis.url);
});
afterAll(() => publisher?.close());

async function collect(psc: PubSubConn, count: number): Promise<PubSubEvent[]> {
  const events: PubSubEvent[] = [];
  while (events.length < count) events.push(await psc.receiveWith({ timeoutMs: 2_000 }));
  return events;
}

describe.each([2, 3] as const)('PubSubConn over RESP%i', (protocol) => {
  let psc: PubSubConn;
  const channel = (name: string) => `resp${protocol}:${name}`;

  beforeAll(async () => {
    psc = new PubSubConn(await dial(redis.url, { protocol }));
  });
  afterAll(() => psc?.close());

  it('receives every event type', async () => {
    await psc.subscribe(channel('a'), channel('b'));
    await psc.psubscribe(`${channel('p')}.*`);
    await psc.ssubscribe(channel('shard'));
    await publisher.do('PUBLISH', channel('a'), 'hello');
    await publisher.do('PUBLISH', `${channel('p')}.x`, Buffer.from([0, 255, 13, 10]));
    await publisher.do('SPUBLISH', channel('shard'), 'sharded');
    await psc.ping('are you there');
    const events = await collect(psc, 8);
    expect(events.slice(0, 4)).toEqual([
      new Subscription('subscribe', channel('a'), 1),
      new Subscription('subscribe', channel('b'), 2),
      new Subscription('psubscribe', `${channel('p')}.*`, 3),
      new Subscription('ssubscribe', channel('shard'), 1),
    ]);
    expect(events[4]).toEqual(new Message(channel('a'), Buffer.from('hello')));
    expect(events[5]).toEqual(
      new PMessage(`${channel('p')}.*`, `${channel('p')}.x`, Buffer.from([0, 255, 13, 10])),
    );
    expect(events[6]).toEqual(new Message(channel('shard'), Buffer.from('sharded'), true));
    expect(events[7]).toBeInstanceOf(Pong);
    expect((events[7] as Pong).text).toBe('are you there');
    expect((events[4] as Message).text).toBe('hello');
  });

  it('ends iteration when every subscription is gone', async () => {
    await psc.sunsubscribe();
    await publisher.do('PUBLISH', channel('a'), 'last');
    await psc.unsubscribe();
    await psc.punsubscribe();
    const seen: PubSubEvent[] = [];
    for await (const event of psc) seen.push(event);
    expect(seen.at(-1)).toEqual(new Subscription('punsubscribe', `${channel('p')}.*`, 0));
    expect(
      seen.filter((event) => event instanceof Message).map((event) => (event as Message).text),
    ).toEqual(['last']);
  });
});

describe('options', () => {
  it('refuses the old name maxBuffered instead of ignoring the limit', async () => {
    const conn = await dial(redis.url);
    expect(() => new PubSubConn(conn, { maxBuffered: 10 } as never)).toThrow(
      /maxBuffered is now maxBufferedReplies/,
    );
    await conn.close();
  });
});

describe('RESP3 on one connection', () => {
  it('runs ordinary commands while subscribed', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const psc = new PubSubConn(conn);
    await psc.subscribe('mixed');
    const [setReply, published] = await Promise.all([
      conn.do('SET', 'mixed-key', 'v'),
      publisher.do('PUBLISH', 'mixed', 'm1'),
      conn.do('INCR', 'mixed-counter'),
    ]);
    expect(setReply).toBe('OK');
    expect(published).toBe(1);
    const events = await collect(psc, 2);
    expect(events[1]).toEqual(new Message('mixed', Buffer.from('m1')));
    expect(await conn.do('GET', 'mixed-key')).toEqual(Buffer.from('v'));
    await psc.close();
  });
});

describe('many channels and patterns', () => {
  it('delivers to 200 channels and 50 patterns', async () => {
    const psc = new PubSubConn(await dial(redis.url));
    const channels = Array.from({ length: 200 }, (_, index) => `many:${index}`);
    const patterns = Array.from({ length: 50 }, (_, index) => `many:${index}*`);
    await psc.subscribe(...channels);
    await psc.psubscribe(...patterns);
    await collect(psc, 250);
    await publisher.do('PUBLISH', 'many:7', 'x');
    const events = await collect(psc, 2);
    expect(events).toEqual([
      new Message('many:7', Buffer.from('x')),
      new PMessage('many:7*', 'many:7', Buffer.from('x')),
    ]);
    await psc.close();
  });
});

describe.each([2, 3] as const)('a slow consumer over RESP%i', (protocol) => {
  it('gets 100,000 messages complete and in order, with bounded buffering', async () => {
    const maxBuffered = 2_000;
    const conn = await dial(redis.url, { protocol, maxBufferedReplies: maxBuffered });
    const psc = new PubSubConn(conn, { maxBufferedReplies: maxBuffered });
    await psc.subscribe('firehose');
    await psc.receive();
    const total = 100_000;
    const publishing = (async () => {
      for (let start = 0; start < total; start += 1_000) {
        const pipeline = publisher.pipeline();
        for (let index = start; index < start + 1_000; index++)
          pipeline.send('PUBLISH', 'firehose', String(index));
        await pipeline.receiveAll();
      }
    })();
    let expected = 0;
    let highest = 0;
    while (expected < total) {
      const event = await psc.receiveWith({ timeoutMs: 5_000 });
      expect(event).toBeInstanceOf(Message);
      if ((event as Message).text !== String(expected))
        throw new Error(`got ${(event as Message).text}, expected ${expected}`);
      expected++;
      highest = Math.max(highest, psc.buffered, conn.bufferedReplies);
      // The consumer is slow: a pause every 5,000 messages lets the publisher run far ahead.
      if (expected % 5_000 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await publishing;
    expect(expected).toBe(total);
    // Buffering stops at the limit (plus what one socket read delivers); the server holds the rest.
    expect(highest).toBeLessThan(maxBuffered + 3_000);
    await psc.close();
  });
});

describe('giving up on receive', () => {
  it.each([2, 3] as const)(
    'rejects an already aborted or timed-out receive without losing the next event (RESP%i)',
    async (protocol) => {
      const psc = new PubSubConn(await dial(redis.url, { protocol }));
      await psc.subscribe('patience');
      await psc.receive();
      const reason = new Error('not now');
      await expect(psc.receiveWith({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      await expect(psc.receiveWith({ timeoutMs: 20 })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      await publisher.do('PUBLISH', 'patience', 'kept');
      expect(await psc.receiveWith({ timeoutMs: 2_000 })).toEqual(
        new Message('patience', Buffer.from('kept')),
      );
      await psc.close();
    },
  );
});
