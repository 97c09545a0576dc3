import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder, encodeReply, ProtocolError, type Reply, type ReplyValue } from '../src/index.js';
import { cut, cuts, replyTree } from './arbitraries.js';
import { type ReferenceResult, referenceDecode } from './reference-decoder.js';

/** Iterations per property; FUZZ_RUNS raises it for a long run. */
const runs = Number(process.env.FUZZ_RUNS ?? 3_000);

/** Feeds chunks to the real decoder; any exception but ProtocolError fails the test. */
function realDecode(chunks: Buffer[]): ReferenceResult {
  const replies: Reply[] = [];
  const decoder = new Decoder({ onReply: (reply) => replies.push(reply) });
  try {
    for (const chunk of chunks) decoder.write(chunk);
  } catch (error) {
    if (!ProtocolError.is(error)) throw error;
    return { replies, ending: 'error' };
  }
  return { replies, ending: decoder.idle ? 'complete' : 'incomplete' };
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    count: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(wire: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(wire);
  for (const change of mutations) {
    const at = Math.floor(change.at * bytes.length);
    if (change.kind === 'flip' && bytes.length > 0)
      bytes[Math.min(at, bytes.length - 1)] = change.byte;
    if (change.kind === 'insert')
      bytes = Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
    if (change.kind === 'delete')
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.count)]);
    if (change.kind === 'truncate') bytes = bytes.subarray(0, at);
  }
  return bytes;
}

const streams = fc
  .array(replyTree, { minLength: 1, maxLength: 4 })
  .map((replies) =>
    Buffer.concat(replies.map((reply) => encodeReply(reply as ReplyValue, { protocol: 3 }))),
  );

describe('fuzzing the decoder against a slow reference decoder', () => {
  it(`agrees on valid streams in random chunks (${runs} runs)`, () => {
    fc.assert(
      fc.property(streams, cuts, (wire, fractions) => {
        expect(realDecode(cut(wire, fractions))).toEqual(referenceDecode(wire));
      }),
      { numRuns: runs },
    );
  });

  it(`agrees on mutated streams, and never fails other than with ProtocolError (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        streams,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        cuts,
        (wire, mutations, fractions) => {
          const mutated = mutate(wire, mutations);
          expect(realDecode(cut(mutated, fractions))).toEqual(referenceDecode(mutated));
        },
      ),
      { numRuns: runs },
    );
  });

  it(`agrees on random bytes (${runs} runs)`, () => {
    const alphabet = fc.constantFrom(...Buffer.from('+-:$*%~>|_#,(=!\r\n0123456789-?abc'));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), cuts, (bytes, fractions) => {
        const wire = Buffer.from(bytes);
        expect(realDecode(cut(wire, fractions))).toEqual(referenceDecode(wire));
      }),
      { numRuns: runs },
    );
  });
});
