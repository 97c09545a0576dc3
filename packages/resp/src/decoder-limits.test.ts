import { describe, expect, it } from 'vitest';
import { Decoder } from './decoder.js';
import { DEFAULT_DECODER_LIMITS, type DecoderLimits } from './decoder-limits.js';

const limitNames = Object.keys(DEFAULT_DECODER_LIMITS) as (keyof DecoderLimits)[];

// [value, error class, how the message shows the value]
const badValues: [unknown, typeof TypeError | typeof RangeError, string][] = [
  [Number.NaN, RangeError, 'got NaN'],
  [0, RangeError, 'got 0'],
  [-1, RangeError, 'got -1'],
  [1.5, RangeError, 'got 1.5'],
  [Number.POSITIVE_INFINITY, RangeError, 'got Infinity'],
  [2 ** 53, RangeError, 'got 9007199254740992'],
  ['1000', TypeError, 'got the string "1000"'],
  [null, TypeError, 'got null'],
  [{}, TypeError, 'got an object'],
];

const newDecoder = (options: object) => new Decoder({ onReply: () => {}, ...options });

describe('Decoder option checks', () => {
  for (const name of limitNames) {
    it.each(badValues)(`refuses ${name}: %s`, (value, errorClass, shown) => {
      const create = () => newDecoder({ [name]: value });
      expect(create).toThrow(errorClass);
      expect(create).toThrow(`${name} must be`);
      expect(create).toThrow(shown);
    });

    it(`accepts ${name} from 1 to 2^53 - 1, and undefined`, () => {
      for (const value of [1, 1000, Number.MAX_SAFE_INTEGER, undefined])
        expect(() => newDecoder({ [name]: value })).not.toThrow();
    });
  }

  it("refuses a bulkStringsAs other than 'buffer', 'string' or 'view'", () => {
    expect(() => newDecoder({ bulkStringsAs: 'utf8' })).toThrow(TypeError);
    for (const bulkStringsAs of ['buffer', 'string', 'view'])
      expect(() => newDecoder({ bulkStringsAs })).not.toThrow();
  });

  it('keeps a bulk string under the smallest maxReplyBytes that holds it', () => {
    // '$1\r\nx\r\n' is 7 wire bytes and a Buffer's estimated 120: 127 in all.
    const replies: unknown[] = [];
    new Decoder({ onReply: (reply) => replies.push(reply), maxReplyBytes: 127 }).write(
      Buffer.from('$1\r\nx\r\n'),
    );
    expect(replies).toEqual([Buffer.from('x')]);
    expect(() => newDecoder({ maxReplyBytes: 126 }).write(Buffer.from('$1\r\nx\r\n'))).toThrow(
      /maxReplyBytes \(126\)/,
    );
  });
});
