import { dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { type Pong, PubSubConn, type PubSubEvent, Subscription } from '../../src/index.js';

const redis = useRedisServer();

/** Every event until iteration ends; a hang fails the test instead of stalling it. */
async function iterateToEnd(psc: PubSubConn, limitMs = 2_000): Promise<PubSubEvent[]> {
  const seen: PubSubEvent[] = [];
  const ended = (async () => {
    for await (const event of psc) seen.push(event);
    return 'ended';
  })();
  const stalled = new Promise((resolve) => setTimeout(resolve, limitMs, 'stalled')).then(
    () => 'stalled',
  );
  const outcome = await Promise.race([ended, stalled]);
  if (outcome === 'stalled')
    throw new Error(`iteration did not end; saw ${JSON.stringify(seen.map((event) => event))}`);
  return seen;
}

async function collect(psc: PubSubConn, count: number): Promise<PubSubEvent[]> {
  const events: PubSubEvent[] = [];
  while (events.length < count) events.push(await psc.receiveWith({ timeoutMs: 2_000 }));
  return events;
}

describe.each([
  [2, 'buffer'],
  [2, 'string'],
  [3, 'buffer'],
  [3, 'string'],
] as const)('subscription count over RESP%i with %s bulk strings', (protocol, bulkStringsAs) => {
  const open = async () =>
    new PubSubConn(await dial(redis.url, { protocol, decoder: { bulkStringsAs } }));

  it('ends iteration after subscribe then unsubscribe() with no names', async () => {
    const psc = await open();
    await psc.subscribe('news');
    await psc.unsubscribe();
    const seen = await iterateToEnd(psc);
    expect(seen).toEqual([
      new Subscription('subscribe', 'news', 1),
      new Subscription('unsubscribe', 'news', 0),
    ]);
    expect(psc.subscriptionCount).toBe(0);
    await psc.close();
  });

  it('counts channels, patterns and shard channels as the server does', async () => {
    const psc = await open();
    await psc.subscribe('a', 'b');
    await psc.psubscribe('p.*');
    await collect(psc, 3);
    expect(psc.subscriptionCount).toBe(3);
    await psc.ssubscribe('shard');
    await collect(psc, 1);
    expect(psc.subscriptionCount).toBe(4);
    await psc.sunsubscribe();
    await collect(psc, 1);
    expect(psc.subscriptionCount).toBe(3);
    await psc.unsubscribe('a');
    await collect(psc, 1);
    expect(psc.subscriptionCount).toBe(2);
    await psc.unsubscribe();
    await psc.punsubscribe();
    const seen = await iterateToEnd(psc);
    expect(seen.at(-1)).toEqual(new Subscription('punsubscribe', 'p.*', 0));
    expect(psc.subscriptionCount).toBe(0);
    await psc.close();
  });
});

describe.each(['buffer', 'string'] as const)(
  'ping over RESP3 with %s bulk strings',
  (bulkStringsAs) => {
    it('keeps the data, also when the data is the text PONG', async () => {
      const psc = new PubSubConn(
        await dial(redis.url, { protocol: 3, decoder: { bulkStringsAs } }),
      );
      await psc.ping('PONG');
      await psc.ping();
      const [echoed, bare] = (await collect(psc, 2)) as Pong[];
      expect(echoed!.text).toBe('PONG');
      expect(bare!.text).toBe('');
      await psc.close();
    });
  },
);
