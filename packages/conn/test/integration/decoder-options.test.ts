import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial } from '../../src/index.js';

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer();
});
afterAll(() => fake.close());

// [decoder option, the error dial must reject with]
const badDecoderOptions: [string, unknown, RegExp][] = [
  ['maxReplyBytes NaN', { maxReplyBytes: Number.NaN }, /^RangeError: maxReplyBytes .* got NaN$/],
  ['maxLineLength -5', { maxLineLength: -5 }, /^RangeError: maxLineLength .* got -5$/],
  ['maxBulkLength "1"', { maxBulkLength: '1' }, /^TypeError: maxBulkLength .* "1"$/],
  ['maxDepth 0', { maxDepth: 0 }, /^RangeError: maxDepth .* got 0$/],
  ['maxAggregateLength null', { maxAggregateLength: null }, /^TypeError: maxAggregateLength/],
  ['bulkStringsAs "text"', { bulkStringsAs: 'text' }, /^TypeError: bulkStringsAs/],
  ['decoder null', null, /^TypeError: decoder must be an object, got null$/],
];

describe('dial with bad decoder options', () => {
  it.each(badDecoderOptions)('refuses %s before it opens a socket', async (_, decoder, error) => {
    const outcome = await dial(fake.url, { decoder: decoder as never }).then(
      (conn) => {
        conn.destroy();
        return 'connected';
      },
      (failure: Error) => `${failure.name}: ${failure.message}`,
    );
    expect(outcome).toMatch(error);
    expect(fake.connections).toHaveLength(0);
  });

  it('connects with good decoder limits, Number.MAX_SAFE_INTEGER included', async () => {
    const conn = await dial(fake.url, {
      decoder: { maxReplyBytes: Number.MAX_SAFE_INTEGER, maxDepth: 1, bulkStringsAs: 'string' },
    });
    expect(await conn.do('PING')).toBe('PONG');
    conn.destroy();
  });
});
