import { describe, expect, it } from 'vitest';
import { decodeChunks, everySplit } from '../test/decode-helpers.js';
import { Decoder, type DecoderOptions } from './decoder.js';
import { ProtocolError } from './errors.js';
import type { Reply } from './reply.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** The ProtocolError that decoding `chunks` raises; fails the test when there is none. */
function failureOf(
  chunks: readonly (string | Uint8Array)[],
  options: Partial<DecoderOptions> = {},
): ProtocolError {
  try {
    decodeChunks(chunks, options);
  } catch (error) {
    if (ProtocolError.is(error)) return error;
    throw error;
  }
  throw new Error('no ProtocolError');
}

/** Every way the tests cut a stream: whole, in two at every offset, and one byte per chunk. */
function everyChunking(wire: Buffer): Buffer[][] {
  return [[wire], ...everySplit(wire)];
}

// [name, wire, offset of the bare LF]
const bareLineFeeds: [string, string, number][] = [
  ['simple string', '+OK\n', 3],
  ['error', '-ERR x\n', 6],
  ['RESP3 null', '_\n', 1],
  ['boolean', '#t\n', 2],
  ['double', ',1.5\n', 4],
  ['big number', '(12\n', 3],
  ['integer', ':1\n', 2],
  ['bulk length', '$3\n', 2],
  ['array count', '*2\n', 2],
  ['map count', '%1\n', 2],
  ['simple string with an LF inside', '+O\nK\r\n', 2],
  ['simple string past the short-line loop', `+${'a'.repeat(40)}\n`, 41],
  [
    'simple string with an LF, then CRLF, past the short-line loop',
    `+${'a'.repeat(40)}\nb\r\n`,
    41,
  ],
  ['line inside an array', '*2\r\n:1\r\n+OK\n', 11],
  ['line after a bulk string', '$3\r\nabc\r\n#f\n', 11],
];

describe('Decoder on a bare LF', () => {
  it.each(bareLineFeeds)(
    'rejects a %s ended by LF alone, in the write that delivers it',
    (_, text, lineFeed) => {
      const wire = bytes(text);
      for (const chunks of everyChunking(wire)) {
        const decoder = new Decoder({ onReply: () => {} });
        let delivered = 0;
        for (const chunk of chunks) {
          delivered += chunk.length;
          if (delivered <= lineFeed) {
            decoder.write(chunk);
            continue;
          }
          expect(() => decoder.write(chunk)).toThrow(/bare LF/);
          expect(decoder.error?.offset).toBe(lineFeed);
          break;
        }
      }
    },
  );

  it('still rejects a CR followed by anything but LF', () => {
    for (const chunks of everyChunking(bytes('+OK\rX\r\n'))) {
      expect(failureOf(chunks).message).toMatch(/missing LF after CR \(at byte 4\)/);
    }
  });
});

// [name, wire, index of the byte whose arrival must fail, offset reported]
const bulksWithoutCRLF: [string, string, number, number][] = [
  ['bulk string ended by LF alone', '$3\r\nabc\n', 7, 7],
  ['bulk string in an array ended by LF alone', '*1\r\n$3\r\nabc\n', 11, 11],
  ['bulk string followed by a letter', '$3\r\nabcX\r\n', 7, 7],
  ['blob error ended by LF alone', '!3\r\nERR\n', 7, 7],
  ['verbatim string ended by LF alone', '=8\r\ntxt:abcd\n', 12, 12],
  ['empty bulk string ended by LF alone', '$0\r\n\n', 4, 4],
  ['body past the 4 KiB kept by reference', `$5000\r\n${'v'.repeat(5000)}\n`, 5007, 5007],
  ['CR followed by a letter', '$3\r\nabc\rX', 8, 7],
];

describe('Decoder on a bulk body without CRLF', () => {
  it.each(bulksWithoutCRLF)(
    'rejects a %s in the write that delivers the bad byte, however it is cut',
    (_, text, badByte, offset) => {
      for (const chunks of everyChunking(bytes(text))) {
        const decoder = new Decoder({ onReply: () => {} });
        let delivered = 0;
        for (const chunk of chunks) {
          delivered += chunk.length;
          if (delivered <= badByte) {
            decoder.write(chunk);
            continue;
          }
          expect(() => decoder.write(chunk)).toThrow(/missing CRLF after bulk/);
          expect(decoder.error?.offset).toBe(offset);
          break;
        }
      }
    },
  );
});

// With maxLineLength 16: each line's content (the bytes between the type byte and CR) is 17.
const overlongLines: [string, string][] = [
  ['simple string', `+${'a'.repeat(17)}\r\n`],
  ['error', `-${'E'.repeat(17)}\r\n`],
  ['integer', `:${'1'.repeat(17)}\r\n`],
  ['negative integer', `:-${'1'.repeat(16)}\r\n`],
  ['double', `,${'1'.repeat(17)}\r\n`],
  ['big number', `(${'1'.repeat(17)}\r\n`],
  ['null', `_${'x'.repeat(17)}\r\n`],
  ['boolean', `#${'t'.repeat(17)}\r\n`],
  ['bulk length', `$${'0'.repeat(16)}1\r\na\r\n`],
  ['array count', `*${'0'.repeat(16)}1\r\n:1\r\n`],
  ['simple string without an end', `+${'a'.repeat(17)}`],
  ['integer without an end', `:${'1'.repeat(17)}`],
];

// With maxLineLength 16: each line's content is exactly 16, which is allowed.
const longestLines: [string, string, Reply][] = [
  ['simple string', `+${'a'.repeat(16)}\r\n`, 'a'.repeat(16)],
  ['integer', `:${'1'.repeat(16)}\r\n`, 1111111111111111],
  ['negative integer', `:-${'9'.repeat(15)}\r\n`, -999999999999999],
  ['big number', `(${'9'.repeat(16)}\r\n`, 9999999999999999n],
  ['double', `,${'1'.repeat(14)}.5\r\n`, 11111111111111.5],
  ['bulk length', `$${'0'.repeat(15)}1\r\na\r\n`, bytes('a')],
  ['array count', `*${'0'.repeat(15)}1\r\n:1\r\n`, [1]],
];

describe('Decoder line length', () => {
  it.each(overlongLines)('rejects a %s over maxLineLength however it is cut', (_, text) => {
    for (const chunks of everyChunking(bytes(text))) {
      const failure = failureOf(chunks, { maxLineLength: 16 });
      expect(failure.message).toMatch(/maxLineLength/);
      expect(failure.offset).toBe(0);
    }
  });

  it.each(longestLines)('decodes a %s at maxLineLength however it is cut', (_, text, expected) => {
    for (const chunks of everyChunking(bytes(text))) {
      expect(decodeChunks(chunks, { maxLineLength: 16 }).replies).toEqual([expected]);
    }
  });

  it('decodes a 30-digit integer to the same bigint however it is cut', () => {
    const wire = bytes(':123456789012345678901234567890\r\n:-123456789012345678901234567890\r\n');
    for (const chunks of everyChunking(wire)) {
      expect(decodeChunks(chunks).replies).toEqual([
        123456789012345678901234567890n,
        -123456789012345678901234567890n,
      ]);
    }
  });

  it('rejects a 2 MiB simple string with the default limit, whole or in 64 KiB chunks', () => {
    const wire = bytes(`+${'a'.repeat(2 * 1024 * 1024)}\r\n`);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 65_536)
      chunks.push(wire.subarray(offset, offset + 65_536));
    expect(failureOf([wire]).message).toMatch(/maxLineLength/);
    expect(failureOf(chunks).message).toMatch(/maxLineLength/);
  });

  it('decodes a 1 MiB simple string, whole or in 64 KiB chunks', () => {
    const text = 'a'.repeat(1024 * 1024);
    const wire = bytes(`+${text}\r\n`);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 65_536)
      chunks.push(wire.subarray(offset, offset + 65_536));
    expect(decodeChunks([wire]).replies).toEqual([text]);
    expect(decodeChunks(chunks).replies).toEqual([text]);
  });

  it('takes linear time for a long line that arrives one byte per chunk', () => {
    // Joining the whole unfinished line to each new byte copies ~550 GB here (measured: 112 s);
    // joining it once, when its LF arrives, took 0.3 s.
    const length = 1024 * 1024 - 16;
    const wire = bytes(`+${'a'.repeat(length)}\r\n`);
    const chunks = Array.from({ length: wire.length }, (_, index) =>
      wire.subarray(index, index + 1),
    );
    const started = performance.now();
    const [reply] = decodeChunks(chunks).replies;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((reply as string).length).toBe(length);
  });

  it('names stream offsets after a line that spanned chunks', () => {
    const decoder = new Decoder({ onReply: () => {} });
    decoder.write(bytes('+hel'));
    decoder.write(bytes('lo'));
    decoder.write(bytes('\r\n:1\r\n:'));
    expect(() => decoder.write(bytes('2x\r\n'))).toThrow(/invalid digit in number \(at byte 14\)/);
  });
});

// [name, wire, limits, the failure whole and however cut]. A length line fails at the first
// byte that breaks a rule; a digit that takes the value past its limit names that limit, even
// when the same digit also passes maxLineLength.
const lengthLinesPastTwoLimits: [string, string, Partial<DecoderOptions>, string][] = [
  [
    'bulk length past maxBulkLength, then maxLineLength',
    '$99999\r\n',
    { maxBulkLength: 100, maxLineLength: 4 },
    'bulk length over maxBulkLength (100) (at byte 0)',
  ],
  [
    'count past maxAggregateLength, then maxLineLength',
    '*99999\r\n',
    { maxAggregateLength: 100, maxLineLength: 4 },
    'count over maxAggregateLength (100) (at byte 0)',
  ],
  [
    'bulk length passing both limits on the same digit',
    '$1000\r\n',
    { maxBulkLength: 100, maxLineLength: 3 },
    'bulk length over maxBulkLength (100) (at byte 0)',
  ],
  [
    'bulk length past maxBulkLength, then an invalid digit',
    '$999x\r\n',
    { maxBulkLength: 100 },
    'bulk length over maxBulkLength (100) (at byte 0)',
  ],
  [
    'bulk length past maxBulkLength, then CR without LF',
    '$999\rX',
    { maxBulkLength: 100 },
    'bulk length over maxBulkLength (100) (at byte 0)',
  ],
  [
    'leading zeros past maxLineLength before the value passes maxBulkLength',
    '$0000999\r\n',
    { maxBulkLength: 100, maxLineLength: 4 },
    'line longer than maxLineLength (4) (at byte 0)',
  ],
];

describe('Decoder on a length line past two limits', () => {
  it.each(lengthLinesPastTwoLimits)(
    'fails the same way for a %s, however it is cut',
    (_, text, limits, expected) => {
      for (const chunks of everyChunking(bytes(text)))
        expect(failureOf(chunks, limits).message).toBe(expected);
    },
  );

  it('names maxBulkLength for a 1 MiB run of digits with the defaults, whole or cut anywhere', () => {
    const wire = bytes(`$${'9'.repeat(1024 * 1024 + 10)}\r\n`);
    const expected = 'bulk length over maxBulkLength (536870912) (at byte 0)';
    for (const at of [1, 5, 10, 2_622, 1024 * 1024, 1024 * 1024 + 5, wire.length - 1])
      expect(failureOf([wire.subarray(0, at), wire.subarray(at)]).message).toBe(expected);
    expect(failureOf([wire]).message).toBe(expected);
  });
});

describe('Decoder reply memory bound (maxReplyBytes)', () => {
  const hundred = 'v'.repeat(100);
  const threeBulks = `*3\r\n${`$100\r\n${hundred}\r\n`.repeat(3)}`;

  it('rejects a reply whose estimated memory is over maxReplyBytes, however it is cut', () => {
    for (const chunks of everyChunking(bytes(threeBulks))) {
      const failure = failureOf(chunks, { maxReplyBytes: 700 });
      expect(failure.message).toMatch(/maxReplyBytes \(700\)/);
      // The array counts 204 (header and AGGREGATE_COST), each bulk string 228 (wire bytes and
      // BUFFER_COST): the third one, at byte 4 + 2 * 108, goes over.
      expect(failure.offset).toBe(220);
    }
  });

  it('decodes the same reply under a bound that holds it, however it is cut', () => {
    const expected = [bytes(hundred), bytes(hundred), bytes(hundred)];
    for (const chunks of everyChunking(bytes(threeBulks))) {
      expect(decodeChunks(chunks, { maxReplyBytes: 1_000 }).replies).toEqual([expected]);
    }
  });

  it('counts each reply on its own', () => {
    const decoded = decodeChunks([threeBulks.repeat(20)], { maxReplyBytes: 1_000 });
    expect(decoded.replies).toHaveLength(20);
  });

  it('bounds a top-level bulk string too, whole or in chunks', () => {
    const wire = bytes(`$1000\r\n${'v'.repeat(1000)}\r\n`);
    for (const chunks of [[wire], [wire.subarray(0, 10), wire.subarray(10)]]) {
      expect(failureOf(chunks, { maxReplyBytes: 1_000 }).message).toMatch(/maxReplyBytes/);
      expect(decodeChunks(chunks, { maxReplyBytes: 2_000 }).replies).toHaveLength(1);
    }
  });

  it('rejects a nested bulk string that would go over when its header arrives', () => {
    const decoder = new Decoder({ onReply: () => {}, maxReplyBytes: 1_000_000 });
    expect(() => decoder.write(bytes('*2\r\n$2000000\r\nab'))).toThrow(/maxReplyBytes/);
  });
});

describe('maxReplyBytes does not depend on chunking', () => {
  /** Whether `wire` decodes, cut as `chunks` says, under the bound. */
  const accepted = (chunks: Buffer[], options: Partial<DecoderOptions>) => {
    try {
      decodeChunks(chunks, options);
      return true;
    } catch (error) {
      if (ProtocolError.is(error)) return false;
      throw error;
    }
  };

  it.each([
    ['top-level text', 'string', ''],
    ['nested text', 'string', '*1\r\n'],
    ['top-level Buffer', 'buffer', ''],
    ['nested Buffer', 'buffer', '*1\r\n'],
  ] as const)('%s near the bound: the same verdict whole and cut', (_, bulkStringsAs, prefix) => {
    const options = { maxReplyBytes: 1_000, bulkStringsAs };
    const verdicts = new Set<boolean>();
    for (let size = 300; size <= 1_000; size++) {
      const wire = bytes(`${prefix}$${size}\r\n${'a'.repeat(size)}\r\n`);
      const whole = accepted([wire], options);
      verdicts.add(whole);
      for (const cut of [prefix.length + 3, wire.length - 5, wire.length - 1]) {
        const parts = [wire.subarray(0, cut), wire.subarray(cut)];
        expect({ size, cut, verdict: accepted(parts, options) }).toEqual({
          size,
          cut,
          verdict: whole,
        });
      }
    }
    // The range crosses the bound: both verdicts were seen.
    expect(verdicts).toEqual(new Set([true, false]));
  });
});
