import type { Arg } from '@x/resp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, keySlot } from './key-slot.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
// Any UTF-16 code unit: lone surrogates and pairs too (fast-check's 'binary' unit is slow).
const codeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));

describe('crc16', () => {
  it.each([
    ['123456789', 0x31c3], // the check value of CRC16/XMODEM, and the cluster spec's example
    ['', 0],
    ['A', 0x58e5],
  ])('of %j is %i', (text, crc) => {
    expect(crc16(bytes(text))).toBe(crc);
  });
});

describe('keySlot', () => {
  it.each<[string, Arg, number]>([
    ['the check string', '123456789', 0x31c3],
    ['a key', 'foo', 12182],
    ['an empty key', '', 0],
    ['a hash tag', '{user1000}.following', keySlot('user1000')],
    ['the same hash tag', '{user1000}.followers', keySlot('user1000')],
    ['an empty tag: the whole key', '{}', crc16(bytes('{}')) & 0x3fff],
    ['an empty tag, then a tag: the whole key', '{}{a}', crc16(bytes('{}{a}')) & 0x3fff],
    ['nested braces: from the first { to the first }', '{{a}}', keySlot('{a')],
    ['only the first tag counts', 'a{b}c{d}', keySlot('b')],
    ['a close before the open: no tag', '}{', crc16(bytes('}{')) & 0x3fff],
    ['an open without a close: no tag', 'a{b', crc16(bytes('a{b')) & 0x3fff],
    ['a tag at the end', 'x{y}', keySlot('y')],
    ['a non-ASCII key', 'ключ', crc16(bytes('ключ')) & 0x3fff],
    ['a non-ASCII tag', 'a{é}b', keySlot('é')],
    ['a non-ASCII tag with braces inside', '{é{}', keySlot('é{')],
  ])('%s: %j -> %i', (_case, key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it.each<[string, Arg, string | Uint8Array]>([
    ['an integer', 1234, '1234'],
    ['a negative integer', -5, '-5'],
    ['a large integer, spelt out', 1e21, '1000000000000000000000'],
    ['a float', 1.5, '1.5'],
    ['infinity', Number.POSITIVE_INFINITY, '+inf'],
    ['a bigint', 12345678901234567890n, '12345678901234567890'],
    ['true', true, '1'],
    ['false', false, '0'],
    ['null', null, ''],
    ['a Uint8Array', new Uint8Array([0x7b, 0x61, 0x7d, 0xff]), Buffer.from([0x61])],
    ['a RedisArgument', { toRedisArg: () => '{tag}x' }, 'tag'],
    ['a RedisArgument of bytes', { toRedisArg: () => Buffer.from('k') }, 'k'],
  ])('hashes %s as the bytes @x/resp sends', (_case, key, sent) => {
    const wire = typeof sent === 'string' ? bytes(sent) : sent;
    expect(keySlot(key)).toBe(keySlot(Buffer.from(wire)));
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['an array', ['a']],
    ['a plain object', {}],
  ])('throws a TypeError for %s', (_case, key) => {
    expect(() => keySlot(key as Arg)).toThrow(TypeError);
  });

  it('gives a string the slot of its UTF-8 bytes, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: codeUnit, maxLength: 12 }),
        (key) => keySlot(key) === keySlot(bytes(key)),
      ),
      { numRuns: 500 },
    );
  });

  it('stays within 0..16383', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (key) => {
        const slot = keySlot(key);
        return Number.isInteger(slot) && slot >= 0 && slot < 16384;
      }),
    );
  });
});
