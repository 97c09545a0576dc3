import { type Connection, dial } from '@x/conn';
import type { ReplyValue } from '@x/resp';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  autoClaim,
  hscanIterator,
  pendingSummary,
  ReplyTypeError,
  scanIterator,
  streamGroupReads,
  streamReads,
  zscanIterator,
} from '../../src/index.js';

// A fake server answers each command with a reply no Redis would send; the helpers must reject
// with a ReplyTypeError (not crash, not hang) and leave the connection usable.

let fake: FakeServer | undefined;
let conn: Connection | undefined;
afterEach(async () => {
  conn?.destroy(); // a command the fake never answers would hold close() up
  await fake?.close();
});

async function connect(answers: Record<string, ReplyValue | undefined>, protocol: 2 | 3 = 2) {
  fake = await startFakeServer({
    protocol,
    onCommand: ([name]) => {
      const command = name?.toUpperCase() ?? '';
      if (command === 'PING') return 'PONG';
      if (command === 'HELLO') return new Map<ReplyValue, ReplyValue>([['proto', 3]]);
      return answers[command];
    },
  });
  conn = await dial(fake.url, { protocol, readTimeoutMs: 2_000 });
  return conn;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('SCAN family', () => {
  it.each<[string, ReplyValue]>([
    ['a map instead of [cursor, elements]', new Map<ReplyValue, ReplyValue>([['0', []]])],
    ['a cursor of letters', ['abc', ['k']]],
    ['elements as a string', ['0', 'k']],
    ['a nested array as a key', ['0', [['k']]]],
  ])('SCAN answered with %s rejects with a ReplyTypeError', async (_, reply) => {
    const conn = await connect({ SCAN: reply }, 3);
    await expect(collect(scanIterator(conn))).rejects.toThrow(ReplyTypeError);
    expect(await conn.do('PING')).toBe('PONG');
  });

  it('an odd HSCAN batch and a ZSCAN score of text reject with a ReplyTypeError', async () => {
    const conn = await connect({ HSCAN: ['0', ['f', 'v', 'g']], ZSCAN: ['0', ['m', 'lots']] });
    await expect(collect(hscanIterator(conn, 'h'))).rejects.toThrow(/an even number/);
    await expect(collect(zscanIterator(conn, 'z'))).rejects.toThrow(/expected a number/);
  });

  it('a server that never answers SCAN: the signal ends the iteration at once', async () => {
    const conn = await connect({ SCAN: undefined });
    const controller = new AbortController();
    const iteration = collect(scanIterator(conn, { signal: controller.signal }));
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop waiting')), 50);
    await expect(iteration).rejects.toThrow('stop waiting');
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('streams', () => {
  it.each([2, 3] as const)('XREAD answered with malformed streams, RESP%i', async (protocol) => {
    const conn = await connect(
      {
        XREAD: new Map<ReplyValue, ReplyValue>([['s', ['1-0', ['f', 'v']]]]),
        XREADGROUP: [['s', [['1-0', ['f']]]]],
      },
      protocol,
    );
    await expect(streamReads(conn.do('XREAD', 'STREAMS', 's', '0'))).rejects.toThrow(
      ReplyTypeError,
    );
    await expect(
      streamGroupReads(conn.do('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>')),
    ).rejects.toThrow(/an even number/);
  });

  it('XPENDING and XAUTOCLAIM answered with the wrong shapes', async () => {
    const conn = await connect({ XPENDING: [1, '1-0'], XAUTOCLAIM: 'OK' });
    await expect(pendingSummary(conn.do('XPENDING', 's', 'g'))).rejects.toThrow(ReplyTypeError);
    await expect(autoClaim(conn.do('XAUTOCLAIM', 's', 'g', 'c', 0, '0'))).rejects.toThrow(
      ReplyTypeError,
    );
  });
});
