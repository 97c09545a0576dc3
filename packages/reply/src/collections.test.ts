import { type Reply, ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import {
  byteSlices,
  floatMap,
  floats,
  int64Map,
  int64s,
  intMap,
  ints,
  stringMap,
  strings,
  uint64Map,
  uint64s,
  values,
} from './collections.js';
import { NilError, ReplyTypeError } from './errors.js';
import { latencies, latencyHistories, positions, slowLogs } from './server-replies.js';

const bulk = (text: string) => Buffer.from(text);
const record = <T>(entries: [string, T][]) =>
  Object.assign(Object.create(null), Object.fromEntries(entries));

describe('array helpers', () => {
  it.each<[string, (reply: Reply) => unknown, Reply, unknown]>([
    ['values', values, [1, bulk('a'), null], [1, bulk('a'), null]],
    ['values of a RESP3 map', values, new Map<Reply, Reply>([['k', 1]]), ['k', 1]],
    ['strings', strings, [bulk('a'), 'b', null, 3], ['a', 'b', '', '3']],
    ['byteSlices', byteSlices, [bulk('a'), null], [bulk('a'), null]],
    ['ints', ints, [1, bulk('2'), null], [1, 2, 0]],
    ['int64s', int64s, [1, bulk('9223372036854775807'), null], [1n, 9223372036854775807n, 0n]],
    ['uint64s', uint64s, [bulk('18446744073709551615')], [18446744073709551615n]],
    ['floats', floats, [bulk('1.5'), 2, null, bulk('inf')], [1.5, 2, 0, Number.POSITIVE_INFINITY]],
  ])('%s', (_name, helper, reply, expected) => {
    expect(helper(reply)).toEqual(expected);
  });

  it.each([values, strings, byteSlices, ints, int64s, uint64s, floats])(
    '%o rejects nil and non-arrays',
    (helper) => {
      expect(() => helper(null)).toThrow(NilError);
      expect(() => helper(5)).toThrow(ReplyTypeError);
    },
  );

  it('throws an error element as it is', () => {
    const error = new ReplyError('ERR inside');
    expect(() => ints([1, error])).toThrow(error);
  });

  it('names the element type it could not convert', () => {
    expect(() => ints([bulk('x')])).toThrow(/^ints: expected an integer, got bulk string "x"/);
  });
});

describe('map helpers', () => {
  const flat: Reply = [bulk('a'), bulk('1'), bulk('b'), bulk('2')];
  const resp3: Reply = new Map<Reply, Reply>([
    [bulk('a'), bulk('1')],
    [bulk('b'), 2],
  ]);

  it.each<[string, (reply: Reply) => unknown, unknown]>([
    [
      'stringMap',
      stringMap,
      record([
        ['a', '1'],
        ['b', '2'],
      ]),
    ],
    [
      'intMap',
      intMap,
      record([
        ['a', 1],
        ['b', 2],
      ]),
    ],
    [
      'int64Map',
      int64Map,
      record([
        ['a', 1n],
        ['b', 2n],
      ]),
    ],
    [
      'uint64Map',
      uint64Map,
      record([
        ['a', 1n],
        ['b', 2n],
      ]),
    ],
    [
      'floatMap',
      floatMap,
      record([
        ['a', 1],
        ['b', 2],
      ]),
    ],
  ])('%s accepts RESP2 pairs and RESP3 maps', (_name, helper, expected) => {
    expect(helper(flat)).toEqual(expected);
    expect(helper(resp3)).toEqual(expected);
  });

  it('accepts RESP3 arrays of pairs (ZRANGE ... WITHSCORES)', () => {
    expect(
      floatMap([
        [bulk('a'), 1],
        [bulk('b'), 2.5],
      ]),
    ).toEqual(
      record([
        ['a', 1],
        ['b', 2.5],
      ]),
    );
    expect(() => floatMap([[bulk('a')]])).toThrow(/two-element pairs/);
  });

  it('rejects an odd number of elements and non-string keys', () => {
    expect(() => stringMap([bulk('a')])).toThrow(/even number of elements/);
    expect(() => stringMap([1, bulk('a')])).toThrow(/string keys/);
    expect(() => stringMap(null)).toThrow(NilError);
  });

  it('treats __proto__ as an ordinary field', () => {
    const map = stringMap([bulk('__proto__'), bulk('x')]);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(map)).toBeNull();
  });
});

describe('server reply helpers', () => {
  it('positions keeps missing members as null', () => {
    expect(positions([[bulk('13.36'), bulk('38.11')], null])).toEqual([[13.36, 38.11], null]);
    expect(() => positions([[bulk('1')]])).toThrow(ReplyTypeError);
  });

  it('slowLogs reads SLOWLOG GET entries', () => {
    const entry = [14, 1309448221, 15, [bulk('ping')], bulk('127.0.0.1:58217'), bulk('worker')];
    expect(slowLogs([entry])).toEqual([
      {
        id: 14,
        time: new Date(1309448221000),
        executionTimeMicros: 15,
        args: ['ping'],
        clientAddr: '127.0.0.1:58217',
        clientName: 'worker',
      },
    ]);
  });

  it('latencies and latencyHistories read LATENCY replies', () => {
    expect(latencies([[bulk('command'), 1405067976, 251, 1001]])).toEqual([
      { name: 'command', time: new Date(1405067976000), latestMs: 251, maxMs: 1001 },
    ]);
    expect(latencyHistories([[1405067822, 251]])).toEqual([
      { time: new Date(1405067822000), executionTimeMs: 251 },
    ]);
    expect(() => latencies([[bulk('x'), 1]])).toThrow(ReplyTypeError);
  });
});
