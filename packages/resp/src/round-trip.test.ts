import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut, cuts, replyTree } from '../test/arbitraries.js';
import { decodeChunks } from '../test/decode-helpers.js';
import { CommandDecoder } from './command-decoder.js';
import { encodeCommand } from './encode-command.js';
import { encodeReply, type ReplyValue } from './encode-reply.js';

describe('round trip', () => {
  it('decode(encodeReply(tree)) returns the tree in RESP3, fed in random chunks', () => {
    fc.assert(
      fc.property(fc.array(replyTree, { minLength: 1, maxLength: 5 }), cuts, (trees, fractions) => {
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
