import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunks } from '../test/decode-helpers.js';
import { CommandDecoder } from './command-decoder.js';
import { encodeCommand } from './encode-command.js';
import { encodeReply, type ReplyValue } from './encode-reply.js';
import { ReplyError } from './errors.js';
import { Push, type Reply } from './reply.js';

const simpleText = fc.string({ maxLength: 20 }).filter((text) => !/[\r\n]/.test(text));
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

const { tree } = fc.letrec<{ tree: Reply }>((tie) => ({
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
}));

/** Cuts `wire` at the given fractions of its length. */
function cut(wire: Buffer, fractions: number[]): Buffer[] {
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

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

describe('round trip', () => {
  it('decode(encodeReply(tree)) returns the tree in RESP3, fed in random chunks', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), cuts, (trees, fractions) => {
        const wire = Buffer.concat(
          trees.map((value) => encodeReply(value as ReplyValue, { protocol: 3 })),
        );
        expect(decodeChunks(cut(wire, fractions)).replies).toEqual(trees);
      }),
      { numRuns: 400 },
    );
  });

  it('decodeCommand(encodeCommand(args)) returns the arguments, fed in random chunks', () => {
    const args = fc.array(
      fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
      {
        minLength: 1,
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(fc.array(args, { minLength: 1, maxLength: 4 }), cuts, (commands, fractions) => {
        const wire = Buffer.concat(commands.map((command) => encodeCommand(command)));
        const received: Buffer[][] = [];
        const decoder = new CommandDecoder({ onCommand: (decoded) => received.push(decoded) });
        for (const chunk of cut(wire, fractions)) decoder.write(chunk);
        expect(received).toEqual(commands);
      }),
      { numRuns: 300 },
    );
  });
});
