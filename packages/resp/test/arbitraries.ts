import fc from 'fast-check';
import { Push, type Reply, ReplyError } from '../src/index.js';

/** Text that can travel as a simple string. */
export const simpleText = fc.string({ maxLength: 20 }).filter((text) => !/[\r\n]/.test(text));

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
