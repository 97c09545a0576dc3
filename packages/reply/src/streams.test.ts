import type { Reply } from '@x/resp';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { NilError, ReplyTypeError } from './errors.js';
import { pendingEntries, pendingSummary } from './stream-pending.js';
import {
  autoClaim,
  autoClaimIds,
  type GroupStreamEntry,
  type StreamEntry,
  type StreamRead,
  streamEntries,
  streamGroupReads,
  streamReads,
} from './streams.js';

const bulk = (text: string) => Buffer.from(text);
const entry = (id: string, ...fields: string[]): Reply => [bulk(id), fields.map(bulk)];

describe('streamEntries', () => {
  it('keeps repeated field names and their order', () => {
    const entries = streamEntries([entry('7-1', 'x', '1', 'y', '', 'x', '3')]);
    expectTypeOf(entries).toEqualTypeOf<StreamEntry[]>();
    expect(entries.map(({ fields }) => fields.map((pair) => pair.join('=')))).toEqual([
      ['x=1', 'y=', 'x=3'],
    ]);
    expect(entries[0]?.id).toBe('7-1');
  });

  it.each<[string, Reply, RegExp | typeof NilError]>([
    ['a nil reply', null, NilError],
    ['nil fields', [[bulk('1-0'), null]], NilError],
    ['an entry of three', [[bulk('1-0'), [], []]], /an \[id, fields\] entry/],
    ['an odd field list', [[bulk('1-0'), [bulk('a')]]], /an even number/],
    ['an array as id', [[[bulk('1-0')], []]], /expected a string/],
    [
      'a map instead of entries',
      new Map([[bulk('1-0'), [bulk('f'), bulk('v')]]]),
      /expected an array/,
    ],
  ])('throws a typed error for %s', (_, reply, error) => {
    expect(() => streamEntries(reply)).toThrow(error);
  });
});

describe('streamReads and streamGroupReads', () => {
  const resp2: Reply = [
    [bulk('s1'), [entry('1-0', 'f', 'v')]],
    [bulk('s2'), []],
  ];
  const resp3: Reply = new Map<Reply, Reply>([
    [bulk('s1'), [entry('1-0', 'f', 'v')]],
    [bulk('s2'), []],
  ]);
  const expected = [
    { stream: 's1', entries: [{ id: '1-0', fields: [['f', 'v']] }] },
    { stream: 's2', entries: [] },
  ];

  it.each([
    ['RESP2 array of pairs', resp2],
    ['RESP3 map', resp3],
  ])('reads a %s the same way', (_, reply) => {
    expect(streamReads(reply)).toEqual(expected);
    expect(streamGroupReads(reply)).toEqual(expected);
  });

  it('reads nil (nothing new, BLOCK ran out) as no streams', () => {
    expect(streamReads(null)).toEqual([]);
    expect(streamGroupReads(null)).toEqual([]);
  });

  it('gives a deleted XREADGROUP entry null fields, which XREAD never has', () => {
    const reply: Reply = [[bulk('s'), [[bulk('1-0'), null], entry('2-0', 'f', 'v')]]];
    const reads = streamGroupReads(reply);
    expectTypeOf(reads).toEqualTypeOf<StreamRead<GroupStreamEntry>[]>();
    expect(reads[0]?.entries).toEqual([
      { id: '1-0', fields: null },
      { id: '2-0', fields: [['f', 'v']] },
    ]);
    expect(() => streamReads(reply)).toThrow(NilError);
  });

  it.each<[string, Reply]>([
    ['a status', 'OK'],
    ['a stream without entries', [[bulk('s')]]],
    ['entries that are not an array', [[bulk('s'), bulk('x')]]],
    ['a numeric stream name', new Map<Reply, Reply>([[1, []]])],
  ])('throws a ReplyTypeError for %s', (_, reply) => {
    expect(() => streamReads(reply)).toThrow(ReplyTypeError);
    expect(() => streamGroupReads(reply)).toThrow(ReplyTypeError);
  });
});

describe('autoClaim and autoClaimIds', () => {
  it('reads the next ID, the claimed entries and the deleted IDs (Redis 7)', () => {
    const claim = autoClaim([bulk('0-0'), [entry('2-0', 'a', 'b')], [bulk('1-0')]]);
    expect(claim).toEqual({
      next: '0-0',
      claimed: [{ id: '2-0', fields: [['a', 'b']] }],
      deletedIds: ['1-0'],
    });
    expect(autoClaimIds([bulk('3-0'), [bulk('2-0')], []])).toEqual({
      next: '3-0',
      claimed: ['2-0'],
      deletedIds: [],
    });
  });

  it('reads the two-element reply of Redis 6.2 with no deleted IDs', () => {
    expect(autoClaim([bulk('0-0'), []])).toEqual({ next: '0-0', claimed: [], deletedIds: [] });
  });

  it.each<[string, Reply]>([
    ['one element', [bulk('0-0')]],
    ['four elements', [bulk('0-0'), [], [], []]],
    ['IDs where entries belong', [bulk('0-0'), [bulk('1-0')], []]],
    ['deleted IDs that are not an array', [bulk('0-0'), [], bulk('1-0')]],
  ])('throws a ReplyTypeError for %s', (_, reply) => {
    expect(() => autoClaim(reply)).toThrow(ReplyTypeError);
  });
});

describe('pendingSummary and pendingEntries', () => {
  it('reads the summary, and the nil parts of an empty pending list', () => {
    const summary = pendingSummary([
      2,
      bulk('1-0'),
      bulk('2-0'),
      [
        [bulk('alice'), bulk('1')],
        [bulk('bob'), bulk('1')],
      ],
    ]);
    expect(summary).toEqual({
      count: 2,
      smallestId: '1-0',
      greatestId: '2-0',
      consumers: [
        { name: 'alice', count: 1 },
        { name: 'bob', count: 1 },
      ],
    });
    expect(pendingSummary([0, null, null, null])).toEqual({
      count: 0,
      smallestId: null,
      greatestId: null,
      consumers: [],
    });
  });

  it('reads the extended form', () => {
    expect(pendingEntries([[bulk('1-0'), bulk('alice'), 35, 2]])).toEqual([
      { id: '1-0', consumer: 'alice', idleMs: 35, deliveryCount: 2 },
    ]);
    expect(pendingEntries([])).toEqual([]);
  });

  it.each<[string, Reply]>([
    ['three parts', [0, null, null]],
    ['a text count', [bulk('many'), null, null, null]],
    ['a consumer without a count', [1, bulk('1-0'), bulk('1-0'), [[bulk('alice')]]]],
  ])('throws a ReplyTypeError for a summary with %s', (_, reply) => {
    expect(() => pendingSummary(reply)).toThrow(ReplyTypeError);
  });

  it('throws a ReplyTypeError for an extended entry of the wrong length', () => {
    expect(() => pendingEntries([[bulk('1-0'), bulk('alice'), 35]])).toThrow(/delivery count/);
  });
});
