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

// [option, the error dial must reject with]
const badKinds: [string, Record<string, unknown>, RegExp][] = [
  [
    'password 1234 (a number)',
    { password: 1234 },
    /^TypeError: password must be a string, got number$/,
  ],
  ['username and password objects', { username: {}, password: 'x' }, /^TypeError: username/],
  ['clientName true', { clientName: true }, /^TypeError: clientName must be a string/],
  ['noDelay "yes"', { noDelay: 'yes' }, /^TypeError: noDelay must be true or false/],
  // A decoder setting at the top level would be ignored without a word.
  [
    'bulkStringsAs outside decoder',
    { bulkStringsAs: 'string' },
    /^TypeError: bulkStringsAs belongs under `decoder`/,
  ],
];

describe('dial with options of the wrong kind', () => {
  it.each(badKinds)('refuses %s before it opens a socket', async (_, options, error) => {
    const before = fake.connections.length;
    const outcome = await dial(fake.url, options as never).then(
      (conn) => {
        conn.destroy();
        return 'connected';
      },
      (failure: Error) => `${failure.name}: ${failure.message}`,
    );
    expect(outcome).toMatch(error);
    expect(outcome).not.toContain('1234');
    expect(fake.connections).toHaveLength(before);
  });

  it('keepAliveMs Infinity connects (no keep-alive probes), like 0', async () => {
    for (const keepAliveMs of [Number.POSITIVE_INFINITY, 0]) {
      const conn = await dial(fake.url, { keepAliveMs });
      expect(await conn.do('PING')).toBe('PONG');
      conn.destroy();
    }
  });
});
