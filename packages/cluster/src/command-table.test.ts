import type { Arg, Reply } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { CommandTable, keyIndexes } from './command-table.js';

// Hand-made COMMAND entries for what a 7.0 server does not show: servers before 7.0, specs a
// future server may send, malformed replies. The real server's reply is tested in
// test/integration.

type Spec = { flags?: string[]; begin: Reply[]; find: Reply[] };

const index = (at: number): Reply[] => ['index', 'index', at];
const keyword = (word: string, startFrom: number): Reply[] => [
  'keyword',
  'keyword',
  word,
  'startfrom',
  startFrom,
];
const range = (lastKey: number, keyStep = 1, limit = 0): Reply[] => [
  'range',
  'lastkey',
  lastKey,
  'keystep',
  keyStep,
  'limit',
  limit,
];
const keynum = (keyNumIndex: number, firstKey: number, keyStep = 1): Reply[] => [
  'keynum',
  'keynumidx',
  keyNumIndex,
  'firstkey',
  firstKey,
  'keystep',
  keyStep,
];
const unknown: Reply[] = ['unknown'];

/** A key spec as RESP2 sends it: flat [name, value, ...] arrays. */
function resp2Spec({ flags = ['RO'], begin, find }: Spec): Reply {
  const [beginType, ...beginSpec] = begin;
  const [findType, ...findSpec] = find;
  return [
    'flags',
    flags,
    'begin_search',
    ['type', beginType!, 'spec', beginSpec],
    'find_keys',
    ['type', findType!, 'spec', findSpec],
  ];
}

/** The same key spec as RESP3 sends it: maps with binary keys. */
function resp3Spec({ flags = ['RO'], begin, find }: Spec): Reply {
  const map = (flat: Reply[]) => {
    const result = new Map<Reply, Reply>();
    for (let at = 0; at < flat.length; at += 2)
      result.set(Buffer.from(String(flat[at])), flat[at + 1]!);
    return result;
  };
  const [beginType, ...beginSpec] = begin;
  const [findType, ...findSpec] = find;
  return map([
    'flags',
    flags,
    'begin_search',
    map(['type', beginType!, 'spec', map(beginSpec)]),
    'find_keys',
    map(['type', findType!, 'spec', map(findSpec)]),
  ]);
}

function entry(
  name: string,
  flags: string[],
  specs: Spec[],
  tips: string[] = [],
  subs: Reply[] = [],
): Reply[] {
  return [Buffer.from(name), -1, flags, 0, 0, 0, [], tips, specs.map(resp2Spec), subs];
}

/** A GET entry with raw key specs. */
function withSpecs(specs: Reply[]): Reply[] {
  const raw = entry('get', [], []);
  raw[8] = specs;
  return raw;
}

const tableOf = (...entries: Reply[]) => CommandTable.fromReply(entries);
const keysOf = (table: CommandTable, command: string, ...args: Arg[]) =>
  keyIndexes(table.lookup(command, args)!, args);

describe('CommandTable.fromReply', () => {
  it('reads RESP2 and RESP3 key specs alike', () => {
    const specs: Spec[] = [
      { begin: index(1), find: range(0) },
      { begin: keyword('STORE', 2), find: range(0) },
      { begin: index(2), find: keynum(0, 1) },
    ];
    const resp2 = tableOf(entry('cmd', ['write'], specs));
    const resp3 = tableOf([
      Buffer.from('cmd'),
      -1,
      ['write'],
      0,
      0,
      0,
      [],
      [],
      specs.map(resp3Spec),
      [],
    ]);
    expect([...resp3.commands()]).toEqual([...resp2.commands()]);
    expect(resp2.get('cmd')?.keySpecs).toEqual([
      {
        flags: new Set(['RO']),
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: new Set(['RO']),
        beginSearch: { type: 'keyword', keyword: 'STORE', startFrom: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: new Set(['RO']),
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'keynum', keyNumIndex: 0, firstKey: 1, keyStep: 1 },
      },
    ]);
    // In the order of the specs, as the server lists them.
    expect(keysOf(resp2, 'cmd', 'k', '2', 'a', 'b', 'store', 'd')).toEqual([0, 5, 2, 3]);
  });

  it('skips the null entries of COMMAND INFO for unknown commands', () => {
    const table = tableOf(
      null,
      entry('get', ['readonly'], [{ begin: index(1), find: range(0) }]),
      null,
    );
    expect(table.size).toBe(1);
    expect(table.get('GET')?.readonly).toBe(true);
  });

  it('reads a server before 7.0 from first key, last key and step', () => {
    const legacy = (
      name: string,
      flags: string[],
      first: number,
      last: number,
      step: number,
    ): Reply => [name, -2, flags, first, last, step];
    const table = tableOf(
      legacy('get', ['readonly'], 1, 1, 1),
      legacy('mset', ['write'], 1, -1, 2),
      legacy('rpoplpush', ['write'], 1, 2, 1),
      legacy('zunionstore', ['write', 'movablekeys'], 0, 0, 0),
      legacy('sort', ['write', 'movablekeys'], 1, 1, 1),
      legacy('ping', ['fast'], 0, 0, 0),
    );
    expect(keysOf(table, 'get', 'k')).toEqual([0]);
    expect(keysOf(table, 'mset', 'a', '1', 'b', '2')).toEqual([0, 2]);
    expect(keysOf(table, 'rpoplpush', 'a', 'b')).toEqual([0, 1]);
    expect(keysOf(table, 'zunionstore', 'd', '1', 'a')).toBeNull();
    expect(keysOf(table, 'sort', 'k', 'STORE', 'd')).toEqual([0, 2]);
    expect(keysOf(table, 'ping')).toEqual([]);
    expect(table.get('get')).toMatchObject({
      requestPolicy: undefined,
      tips: [],
      subcommands: undefined,
    });
  });

  it.each<[string, Reply]>([
    ['not an array', 'OK'],
    ['an entry of three fields', [['get', 2, []]]],
    ['a name that is not a string', [[1, 2, [], 1, 1, 1]]],
    ['an arity that is not a number', [['get', 'two', [], 1, 1, 1]]],
    ['a key spec with an odd field count', [withSpecs([['flags']])]],
    ['a key spec without begin_search', [withSpecs([['flags', []]])]],
  ])('throws a TypeError for %s', (_case, reply) => {
    expect(() => CommandTable.fromReply(reply)).toThrow(TypeError);
  });

  it('reads tips, and an unrecognised policy as special', () => {
    const table = tableOf(
      entry('a', [], [], ['request_policy:all_shards', 'response_policy:agg_max']),
      entry('b', [], [], ['request_policy:every_other_node', 'response_policy:agg_median']),
      entry('c', [], [], ['nondeterministic_output_order']),
    );
    expect(table.get('a')).toMatchObject({
      requestPolicy: 'all_shards',
      responsePolicy: 'agg_max',
    });
    expect(table.get('b')).toMatchObject({ requestPolicy: 'special', responsePolicy: 'special' });
    expect(table.get('c')).toMatchObject({
      nondeterministicOutput: true,
      requestPolicy: undefined,
    });
  });
});

describe('keyIndexes', () => {
  const table = tableOf(
    entry('one', [], [{ begin: index(1), find: range(0) }]),
    entry('tail', [], [{ begin: index(1), find: range(-1, 2) }]),
    entry('counted', [], [{ begin: index(1), find: keynum(0, 1) }]),
    entry(
      'opaque',
      [],
      [
        { begin: index(1), find: range(0) },
        { begin: unknown, find: unknown },
      ],
    ),
    entry('future', [], [{ begin: ['sideways', 'x', 1], find: range(0) }]),
    entry(
      'partly',
      [],
      [
        { begin: index(1), find: range(0) },
        { flags: ['incomplete'], begin: keyword('KEYS', 2), find: range(-1) },
      ],
    ),
    entry('streams', [], [{ begin: keyword('STREAMS', 1), find: range(-1, 1, 2) }]),
    entry('backwards', [], [{ begin: keyword('KEYS', -2), find: range(-1) }]),
  );

  it.each<[string, Arg[], number[] | null]>([
    ['one', ['k'], [0]],
    ['one', [], null],
    ['tail', ['a', 1, 'b', 2], [0, 2]],
    ['tail', [], []],
    ['counted', [2, 'a', 'b', 'x'], [1, 2]],
    ['counted', [2n, 'a', 'b'], [1, 2]],
    ['counted', [Buffer.from('1'), 'a'], [1]],
    ['counted', [{ toRedisArg: () => '1' }, 'a'], [1]],
    ['counted', [0], []],
    ['counted', ['+1', 'a'], null],
    ['counted', [' 1', 'a'], null],
    ['counted', [1.5, 'a', 'b'], null],
    ['counted', [3, 'a', 'b'], null],
    ['counted', ['99999999999999999999', 'a'], null],
    ['counted', [null, 'a'], null],
    ['counted', [], null],
    ['opaque', ['k'], null],
    ['future', ['k'], null],
    ['partly', ['k', 'x'], [0]],
    ['partly', ['k', 'x', 'KEYS', 'a'], null],
    ['streams', ['COUNT', 1, Buffer.from('streams'), 'a', 'b', 0, 0], [3, 4]],
    ['streams', [{ toRedisArg: () => 'Streams' }, 'a', 0], [1]],
    ['streams', ['STREAMS'], []],
    ['backwards', ['h', 'p', 'keys', 'a', 'b'], [3, 4]],
    ['backwards', ['KEYS', 'a'], []],
  ])('%s %s -> %s', (command, args, expected) => {
    expect(keysOf(table, command, ...args)).toEqual(expected);
  });

  it('throws a TypeError for nested arrays, which would move positions', () => {
    for (const command of ['one', 'tail', 'counted', 'streams']) {
      expect(() => keysOf(table, command, ['a', 'b'], 'c')).toThrow(TypeError);
    }
  });

  it('returns a fresh array each time', () => {
    const info = table.get('one')!;
    const first = keyIndexes(info, ['k'])!;
    first.push(9);
    expect(keyIndexes(info, ['k'])).toEqual([0]);
  });
});

describe('CommandTable.lookup', () => {
  const sub = (name: string, at: number): Reply =>
    entry(name, ['readonly'], [{ begin: index(at), find: range(0) }]);
  const table = tableOf(
    entry('get', ['readonly'], [{ begin: index(1), find: range(0) }]),
    entry('object', [], [], [], [sub('object|encoding', 2), sub('object|freq', 2)]),
  );

  it('finds a name in any case, past the bound on remembered spellings', () => {
    const spellings: string[] = [];
    for (let mask = 0; mask < 1 << 6; mask++) {
      const name = [...'object']
        .map((letter, at) => (mask & (1 << at) ? letter.toUpperCase() : letter))
        .join('');
      spellings.push(name);
    }
    for (let round = 0; round < 10; round++) {
      for (const name of spellings) {
        expect(table.lookup(name, [])?.name).toBe('object');
        expect(table.lookup('object', [name.replace(/object/i, 'FREQ')])?.name).toBe('object|freq');
      }
    }
  });

  it('finds subcommands by a string, Buffer or RedisArgument', () => {
    const encoding = table.get('object|encoding');
    expect(encoding?.name).toBe('object|encoding');
    expect(table.lookup('OBJECT', ['Encoding', 'k'])).toBe(encoding);
    expect(table.lookup('OBJECT', [Buffer.from('ENCODING'), 'k'])).toBe(encoding);
    expect(table.lookup('OBJECT', [{ toRedisArg: () => 'encoding' }, 'k'])).toBe(encoding);
    expect(keyIndexes(encoding!, ['ENCODING', 'k'])).toEqual([1]);
  });

  it('is undefined for an unknown command or subcommand, the container without arguments', () => {
    expect(table.lookup('nosuch', [])).toBeUndefined();
    expect(table.lookup('object', ['nosuch'])).toBeUndefined();
    expect(table.lookup('object', [1])).toBeUndefined();
    expect(table.lookup('object', [])?.name).toBe('object');
    expect(table.get('object|nosuch')).toBeUndefined();
    expect(table.get('get|encoding')).toBeUndefined();
  });
});
