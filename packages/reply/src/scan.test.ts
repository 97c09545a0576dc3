import { type Reply, ReplyError } from '@x/resp';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { args } from './args.js';
import { NilError, ReplyTypeError } from './errors.js';
import { bool, bytes, float, int, string } from './scalars.js';
import { field, optional, scan, scanSlice, scanStruct, struct, tuple } from './scan.js';

const bulk = (text: string) => Buffer.from(text);

describe('scan', () => {
  it('converts an array into a typed tuple', () => {
    const result = scan([bulk('Ada'), bulk('36'), null], [string, int, optional(float)]);
    expectTypeOf(result).toEqualTypeOf<[string, number, number | null]>();
    expect(result).toEqual(['Ada', 36, null]);
  });

  it('accepts a promise and returns a promise', async () => {
    const result = scan(Promise.resolve<Reply>([1, bulk('x')]), [bool, bytes]);
    expectTypeOf(result).toEqualTypeOf<Promise<[boolean, Buffer]>>();
    await expect(result).resolves.toEqual([true, bulk('x')]);
  });

  it('uses fromRedis objects as converters (Redigo Scanner)', () => {
    const point = { fromRedis: (value: Reply) => ({ label: String(value) }) };
    const [label] = scan([bulk('p1')], [point]);
    expectTypeOf(label).toEqualTypeOf<{ label: string }>();
    expect(label).toEqual({ label: 'p1' });
  });

  it('fails clearly on nil, short arrays and error elements', () => {
    expect(() => scan([null], [int])).toThrow(NilError);
    expect(() => scan([1], [int, int])).toThrow(/at least 2 elements/);
    const error = new ReplyError('ERR nope');
    expect(() => scan([error], [int])).toThrow(error);
  });
});

describe('scanStruct', () => {
  const schema = {
    name: string,
    age: int,
    email: optional(string),
    active: field('is_active', bool),
    nickname: field('nick', optional(string)),
  };

  it('converts HGETALL pairs (RESP2 and RESP3) into a typed object', () => {
    const flat = [
      bulk('name'),
      bulk('Ada'),
      bulk('age'),
      bulk('36'),
      bulk('is_active'),
      bulk('1'),
      bulk('extra'),
      bulk('x'),
    ];
    const result = scanStruct(flat, schema);
    expectTypeOf(result).toEqualTypeOf<{
      name: string;
      age: number;
      email: string | null;
      active: boolean;
      nickname: string | null;
    }>();
    const expected = { name: 'Ada', age: 36, email: null, active: true, nickname: null };
    expect(result).toEqual(expected);
    const map = new Map<Reply, Reply>(
      (flat as Buffer[]).flatMap((value, index, all) =>
        index % 2 === 0 ? [[value, all[index + 1]!] as [Reply, Reply]] : [],
      ),
    );
    expect(scanStruct(map, schema)).toEqual(expected);
  });

  it('names a missing required field', () => {
    expect(() => scanStruct([bulk('name'), bulk('Ada')], schema)).toThrow(/field "age"/);
  });

  it('converts nested values', () => {
    const nested = { id: int, position: tuple([float, float]), owner: struct({ name: string }) };
    const reply = [
      bulk('id'),
      1,
      bulk('position'),
      [bulk('1.5'), bulk('2')],
      bulk('owner'),
      [bulk('name'), bulk('Bo')],
    ];
    const result = scanStruct(reply, nested);
    expectTypeOf(result).toEqualTypeOf<{
      id: number;
      position: [number, number];
      owner: { name: string };
    }>();
    expect(result).toEqual({ id: 1, position: [1.5, 2], owner: { name: 'Bo' } });
  });
});

describe('optional', () => {
  it('reads a nullable reply in one step, from a reply or a promise', async () => {
    const missing = optional(string)(Promise.resolve<Reply>(null));
    expectTypeOf(missing).toEqualTypeOf<Promise<string | null>>();
    await expect(missing).resolves.toBeNull();
    await expect(optional(int)(Promise.resolve<Reply>(bulk('7')))).resolves.toBe(7);
    const plain = optional(string)(bulk('Ada'));
    expectTypeOf(plain).toEqualTypeOf<string | null>();
    expect(plain).toBe('Ada');
  });

  it('passes a rejection through and throws an error reply, as every helper does', async () => {
    const failure = new Error('connection lost');
    await expect(optional(string)(Promise.reject(failure))).rejects.toBe(failure);
    const error = new ReplyError(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    await expect(optional(string)(Promise.resolve<Reply>(error))).rejects.toBe(error);
    expect(() => optional(int)(bulk('abc'))).toThrow(ReplyTypeError);
  });
});

describe('scanSlice', () => {
  const flat = [bulk('Ada'), bulk('36'), bulk('Bo'), null];

  it('turns SORT ... GET replies into tuples', () => {
    const rows = scanSlice(flat, [string, optional(int)]);
    expectTypeOf(rows).toEqualTypeOf<[string, number | null][]>();
    expect(rows).toEqual([
      ['Ada', 36],
      ['Bo', null],
    ]);
  });

  it('turns them into objects, fields in the given order', () => {
    const rows = scanSlice([bulk('36'), bulk('Ada')], { name: string, age: int }, ['age', 'name']);
    expectTypeOf(rows).toEqualTypeOf<{ name: string; age: number }[]>();
    expect(rows).toEqual([{ name: 'Ada', age: 36 }]);
  });

  it('rejects a length that is not a multiple of the row width', () => {
    expect(() => scanSlice([1, 2, 3], [int, int])).toThrow(ReplyTypeError);
  });
});

describe('args', () => {
  it('builds argument lists with add and addFlat', () => {
    const list = args('user:1')
      .addFlat({ name: 'Ada', age: 36, email: undefined })
      .addFlat(new Map([['k', 'v']]))
      .addFlat(['x', 1])
      .add(true);
    expect([...list]).toEqual(['user:1', 'name', 'Ada', 'age', 36, 'k', 'v', 'x', 1, true]);
    expect(Array.isArray(list)).toBe(true);
    expect(list.map(String).constructor).toBe(Array);
  });
});
