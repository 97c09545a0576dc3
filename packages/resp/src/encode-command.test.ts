import { describe, expect, it } from 'vitest';
import {
  type Arg,
  argToWire,
  CommandEncoder,
  commandToWire,
  encodeCommand,
} from './encode-command.js';

const wireOf = (arg: unknown) => {
  const wire = argToWire(arg);
  return typeof wire === 'string' ? wire : Buffer.from(wire).toString('latin1');
};

describe('argToWire', () => {
  it.each([
    ['a string', 'héllo', 'héllo'],
    ['an empty string', '', ''],
    ['a Buffer', Buffer.from([0, 255]), '\x00\xff'],
    ['a Uint8Array', new Uint8Array([1, 2]), '\x01\x02'],
    ['an integer', 42, '42'],
    ['a negative integer', -7, '-7'],
    ['1e6', 1e6, '1000000'],
    ['1e21', 1e21, '1000000000000000000000'],
    ['-0', -0, '0'],
    ['a float', 3.5, '3.5'],
    ['a small float', 1.5e-7, '1.5e-7'],
    ['Infinity', Number.POSITIVE_INFINITY, '+inf'],
    ['-Infinity', Number.NEGATIVE_INFINITY, '-inf'],
    ['a bigint', 9223372036854775807n, '9223372036854775807'],
    ['true', true, '1'],
    ['false', false, '0'],
    ['null', null, ''],
    ['a RedisArgument', { toRedisArg: () => 12 }, '12'],
  ])('sends %s', (_name, arg, expected) => {
    expect(wireOf(arg)).toBe(expected);
  });

  it.each([
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['a plain object', { a: 1 }],
    ['a Map', new Map()],
    ['a Date', new Date(0)],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['a RedisArgument returning an object', { toRedisArg: () => ({}) }],
  ])('rejects %s with a TypeError', (_name, arg) => {
    expect(() => argToWire(arg)).toThrow(TypeError);
  });
});

describe('encodeCommand', () => {
  it('encodes a command as an array of bulk strings', () => {
    expect(encodeCommand(['SET', 'key', 'va\r\nl']).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n',
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(encodeCommand(['ECHO', 'é']).toString()).toBe('*2\r\n$4\r\nECHO\r\n$2\r\né\r\n');
  });

  it('flattens arrays one level', () => {
    expect(encodeCommand(['MGET', ['a', 'b'], 'c']).toString()).toBe(
      '*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n',
    );
  });

  it('rejects nested arrays and empty commands', () => {
    expect(() => encodeCommand(['MGET', [['a']]] as unknown as Arg[])).toThrow(TypeError);
    expect(() => encodeCommand([])).toThrow(TypeError);
  });

  it('rejects an argument longer than the limit with a RangeError', () => {
    expect(() => commandToWire(['SET', 'k', Buffer.alloc(11)], 10)).toThrow(RangeError);
    expect(() => commandToWire(['SET', 'k', 'é'.repeat(6)], 10)).toThrow(
      /argument 2 is longer than 10 bytes/,
    );
    expect(commandToWire(['SET', 'k', 'é'.repeat(5)], 10)).toHaveLength(3);
  });

  it('names the position of a bad argument', () => {
    expect(() => encodeCommand(['SET', 'k', undefined as unknown as Arg])).toThrow(
      /argument 2: cannot send undefined/,
    );
  });
});

describe('CommandEncoder', () => {
  it('writes nothing when an argument is bad', () => {
    const encoder = new CommandEncoder();
    encoder.add(['PING']);
    expect(() => encoder.add(['SET', 'k', Number.NaN])).toThrow(TypeError);
    expect(Buffer.concat(encoder.take()).toString()).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('joins text and keeps large binary values by reference', () => {
    const value = Buffer.alloc(1024 * 1024, 1);
    const encoder = new CommandEncoder();
    encoder.add(['SET', 'a', '1']);
    encoder.add(['SET', 'b', value]);
    encoder.add(['GET', 'a']);
    const expectedLength = encoder.byteLength;
    const chunks = encoder.take();
    expect(chunks.some((chunk) => chunk === value)).toBe(true);
    const whole = Buffer.concat(chunks);
    expect(whole.length).toBe(expectedLength);
    expect(whole.subarray(0, 40).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n',
    );
    expect(whole.toString('latin1').endsWith('\x01\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n')).toBe(true);
    expect(encoder.take()).toEqual([]);
    expect(encoder.byteLength).toBe(0);
  });
});
