import { type Reply, ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { NilError, ReplyTypeError } from './errors.js';
import type { Helper } from './helper.js';
import { bool, bytes, float, int, int64, string, uint64 } from './scalars.js';

const bulk = (text: string) => Buffer.from(text);
const WRONG = Symbol('wrong type');
type Row = [string, Reply, unknown];

// [description, reply, expected]: expected WRONG means a ReplyTypeError.
const tables: [string, Helper<unknown>, Row[]][] = [
  [
    'int',
    int,
    [
      ['integer', 42, 42],
      ['negative integer', -3, -3],
      ['bulk digits', bulk('123'), 123],
      ['simple digits', '7', 7],
      ['safe bigint', 10n, 10],
      ['unsafe bigint', 2n ** 60n, WRONG],
      ['unsafe bulk', bulk('9007199254740993'), WRONG],
      ['double', 1.5, WRONG],
      ['bulk float', bulk('1.5'), WRONG],
      ['bulk text', bulk('abc'), WRONG],
      ['boolean', true, WRONG],
      ['array', [1], WRONG],
    ],
  ],
  [
    'int64',
    int64,
    [
      ['integer', 42, 42n],
      ['bigint', 2n ** 62n, 2n ** 62n],
      ['bulk max', bulk('9223372036854775807'), 9223372036854775807n],
      ['bulk over int64', bulk('9223372036854775808'), WRONG],
      ['double', 0.5, WRONG],
    ],
  ],
  [
    'uint64',
    uint64,
    [
      ['integer', 42, 42n],
      ['bulk max', bulk('18446744073709551615'), 18446744073709551615n],
      ['negative', -1, WRONG],
      ['negative bulk', bulk('-5'), WRONG],
    ],
  ],
  [
    'float',
    float,
    [
      ['integer', 3, 3],
      ['double', 3.5, 3.5],
      ['bulk', bulk('3.5'), 3.5],
      ['bulk exponent', bulk('1e3'), 1000],
      ['bulk inf', bulk('inf'), Number.POSITIVE_INFINITY],
      ['bulk -inf', bulk('-inf'), Number.NEGATIVE_INFINITY],
      ['bigint', 5n, 5],
      ['bulk text', bulk('x'), WRONG],
      ['empty bulk', bulk(''), WRONG],
      ['boolean', false, WRONG],
    ],
  ],
  [
    'string',
    string,
    [
      ['bulk', bulk('héllo'), 'héllo'],
      ['simple', 'OK', 'OK'],
      ['integer', 5, '5'],
      ['double', 2.5, '2.5'],
      ['array', [], WRONG],
      ['boolean', true, WRONG],
    ],
  ],
  [
    'bytes',
    bytes,
    [
      ['bulk', bulk('ab'), bulk('ab')],
      ['simple', 'OK', bulk('OK')],
      ['integer', 1, WRONG],
    ],
  ],
  [
    'bool',
    bool,
    [
      ['integer 1', 1, true],
      ['integer 0', 0, false],
      ['integer 2', 2, true],
      ['RESP3 true', true, true],
      ['bulk "1"', bulk('1'), true],
      ['bulk "true"', bulk('true'), true],
      ['bulk "F"', bulk('F'), false],
      ['bulk "yes"', bulk('yes'), WRONG],
      ['double', 0.5, WRONG],
    ],
  ],
];

describe.each(tables)('%s', (name, helper, rows) => {
  it.each(rows)(`converts %s`, (_description, reply, expected) => {
    if (expected === WRONG) {
      expect(() => helper(reply)).toThrow(ReplyTypeError);
      expect(() => helper(reply)).toThrow(new RegExp(`^${name}: expected `));
    } else {
      expect(helper(reply)).toEqual(expected);
    }
  });

  it('throws NilError for a nil reply', () => {
    expect(() => helper(null)).toThrow(NilError);
  });

  it('throws an error reply as it is', () => {
    const error = new ReplyError('WRONGTYPE Operation against a key');
    expect(() => helper(error)).toThrow(error);
  });

  it('accepts a promise and passes a rejection through untouched', async () => {
    const [, reply, expected] = rows[0]!;
    await expect(helper(Promise.resolve(reply))).resolves.toEqual(expected);
    const failure = new Error('connection lost');
    await expect(helper(Promise.reject(failure))).rejects.toBe(failure);
    await expect(helper(Promise.resolve(null))).rejects.toBeInstanceOf(NilError);
  });
});
