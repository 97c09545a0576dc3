import fc from 'fast-check';
import { Push, type Reply, ReplyError } from '../src/index.js';

/** Text that can travel as a simple string. */
export const simpleText = fc.string({ maxLength: 20 }).filter((text) => !/[\r\n]/.test(text));

/** Decimal digits without a leading zero, 1 to `maxDigits` of them. */
const digits = (maxDigits: number) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: maxDigits - 1, size: 'max' }),
    )
    .map(([first, rest]) => `${first}${rest.join('')}`);

/** A signed integer of up to `maxDigits` digits, as the decoder yields it: number when safe. */
const signedInteger = (maxDigits: number) =>
  fc.tuple(fc.boolean(), digits(maxDigits)).map(([negative, text]) => {
    const big = BigInt(negative ? `-${text}` : text);
    const safe = big >= Number.MIN_SAFE_INTEGER && big <= Number.MAX_SAFE_INTEGER;
    return safe ? Number(big) : big;
  });

/**
 * Replies whose lines run long: integers of up to 40 digits (`:` in RESP2, `(` in RESP3 when
 * not safe), big numbers of up to 80 digits, simple strings and errors of up to 120 characters.
 * Fuzz with a small maxLineLength so that some of them go over it.
 */
export const longLine: fc.Arbitrary<Reply> = fc.oneof(
  signedInteger(40),
  signedInteger(80),
  fc.string({ minLength: 10, maxLength: 120, size: 'max' }).filter((text) => !/[\r\n]/.test(text)),
  fc
    .string({ minLength: 10, maxLength: 120 })
    .filter((text) => !/[\r\n]/.test(text))
    .map((text) => new ReplyError(`ERR ${text}`)),
);

/**
 * Raw RESP lines, valid or not: a type byte, maybe '-', up to 24 digits (leading zeros too) or
 * text bytes, then CRLF, CR, LF or nothing. They reach the length and count limits before a
 * line's end, the fast paths' digit counts and the bare-LF rule. Bodies for bulk lengths of 0,
 * 1, 3 and 8 are mixed in by the fuzz test.
 */
export const rawLine: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...':$*%~>|=!(+-_#,'),
    fc.boolean(),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 24, size: 'max' }),
      fc.string({ unit: fc.constantFrom(...'09az.?'), maxLength: 24, size: 'max' }),
      // Leading zeros before a small length that the bodies below can match.
      fc
        .tuple(fc.nat({ max: 20 }), fc.constantFrom('0', '1', '3', '8'))
        .map(([zeros, last]) => `${'0'.repeat(zeros)}${last}`),
    ),
    fc.constantFrom('\r\n', '\r\n', '\r\n', '\r', '\n', ''),
  )
  .map(([type, negative, content, end]) => `${type}${negative ? '-' : ''}${content}${end}`);

const scalar: fc.Arbitrary<Reply> = fc.oneof(
  simpleText,
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc
    .bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
    .filter((big) => big < -(2n ** 53n) || big > 2n ** 53n),
  fc
    .double({ noDefaultInfinity: false })
    .filter((value) => !Number.isInteger(value) || !Number.isSafeInteger(value)),
  fc.boolean(),
  fc.constant(null),
  simpleText.map((text) => new ReplyError(`ERR ${text}`)),
  longLine,
);

/** Random RESP3 reply trees: scalars, arrays, maps and pushes. */
export const replyTree: fc.Arbitrary<Reply> = fc.letrec<{ tree: Reply }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 5 }),
    fc
      .array(fc.tuple(simpleText, tie('tree')), { maxLength: 4 })
      .map((pairs) => new Map<Reply, Reply>(pairs)),
    fc
      .array(tie('tree'), { minLength: 1, maxLength: 4 })
      .map((values) => new Push(['message', ...values])),
  ),
})).tree;

/** Fractions of a stream's length at which to cut it into chunks. */
export const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

/** Cuts `wire` at the given fractions of its length. */
export function cut(wire: Buffer, fractions: number[]): Buffer[] {
  const offsets = [
    ...new Set(fractions.map((fraction) => Math.floor(fraction * wire.length))),
  ].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of [...offsets, wire.length]) {
    if (offset > start) chunks.push(wire.subarray(start, offset));
    start = offset;
  }
  return chunks;
}
