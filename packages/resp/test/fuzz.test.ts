import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder, encodeReply, ProtocolError, type Reply, type ReplyValue } from '../src/index.js';
import { cut, cuts, longLine, rawLine, replyTree } from './arbitraries.js';
import {
  type ReferenceLimits,
  type ReferenceResult,
  referenceDecode,
} from './reference-decoder.js';

/** Iterations per property; FUZZ_RUNS raises it for a long run. */
const runs = Number(process.env.FUZZ_RUNS ?? 3_000);
/**
 * Time allowed per property: about 1 ms a run is usual here, so a long FUZZ_RUNS run would pass
 * the default 20 s on a busy machine (20,000 valid streams took 41 s under load).
 */
const timeoutMs = Math.max(20_000, runs * 5);

/** Feeds chunks to the real decoder; any exception but ProtocolError fails the test. */
function realDecode(chunks: Buffer[], limits: ReferenceLimits = {}): ReferenceResult {
  const replies: Reply[] = [];
  const decoder = new Decoder({ onReply: (reply) => replies.push(reply), ...limits });
  try {
    for (const chunk of chunks) decoder.write(chunk);
  } catch (error) {
    if (!ProtocolError.is(error)) throw error;
    return { replies, ending: 'error', error: error.message };
  }
  return { replies, ending: decoder.idle ? 'complete' : 'incomplete', error: null };
}

/**
 * Decodes `wire` fed whole, one byte per chunk and cut at `fractions`: all three must yield the
 * same replies, the same ending and the same error (message and offset), and agree with the
 * reference decoder.
 */
function expectChunkingInvariant(wire: Buffer, fractions: number[], limits: ReferenceLimits = {}) {
  const whole = realDecode([wire], limits);
  const byteByByte = realDecode(
    Array.from({ length: wire.length }, (_, index) => wire.subarray(index, index + 1)),
    limits,
  );
  expect(byteByByte).toEqual(whole);
  expect(realDecode(cut(wire, fractions), limits)).toEqual(whole);
  expect(whole).toEqual(referenceDecode(wire, limits));
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

/** Long lines, alone or in arrays, in RESP2 (long `:` lines) or RESP3 (long `(` lines). */
const longLineStreams = fc
  .tuple(
    fc.array(fc.oneof(longLine, fc.array(longLine, { maxLength: 3 })), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom(2 as const, 3 as const),
  )
  .map(([replies, protocol]) =>
    Buffer.concat(replies.map((reply) => encodeReply(reply as ReplyValue, { protocol }))),
  );

/** maxLineLength for the long-line runs: small enough that some lines go over it. */
const smallLineLimit = fc.constantFrom(16, 40, 64);

describe('fuzzing the decoder against a slow reference decoder', () => {
  it(
    `agrees on valid streams, whole, byte by byte and in random chunks (${runs} runs)`,
    () => {
      fc.assert(
        fc.property(streams, cuts, (wire, fractions) => {
          expectChunkingInvariant(wire, fractions);
        }),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );

  it(
    `agrees on long lines under a small maxLineLength, however cut (${runs} runs)`,
    () => {
      fc.assert(
        fc.property(
          longLineStreams,
          smallLineLimit,
          fc.array(mutation, { maxLength: 2 }),
          cuts,
          (wire, maxLineLength, mutations, fractions) => {
            expectChunkingInvariant(mutate(wire, mutations), fractions, { maxLineLength });
          },
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );

  it(
    `agrees on mutated streams, and never fails other than with ProtocolError (${runs} runs)`,
    () => {
      fc.assert(
        fc.property(
          streams,
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          cuts,
          (wire, mutations, fractions) => {
            expectChunkingInvariant(mutate(wire, mutations), fractions);
          },
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );

  it(
    `agrees on raw lines, valid or not, under small limits, however cut (${runs} runs)`,
    () => {
      // Bodies ended by LF alone or by another byte too: a body must be followed by CRLF.
      const bodies = fc.constantFrom('abc\r\n', 'a\r\n', '\r\n', 'txt:abcd\r\n', 'abc\n', 'a\rX');
      fc.assert(
        fc.property(
          fc.array(fc.oneof(rawLine, bodies), { minLength: 1, maxLength: 6 }),
          fc.constantFrom(4, 8, 16, 2 ** 20),
          // Length limits a few digits long, so that a length line can pass one before or after
          // it passes maxLineLength.
          fc.constantFrom(undefined, 3, 100, 99_999),
          cuts,
          (lines, maxLineLength, lengthLimit, fractions) => {
            const wire = Buffer.from(lines.join(''), 'latin1');
            const limits =
              lengthLimit === undefined
                ? { maxLineLength }
                : { maxLineLength, maxBulkLength: lengthLimit, maxAggregateLength: lengthLimit };
            expectChunkingInvariant(wire, fractions, limits);
          },
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );

  it(
    `agrees on random bytes (${runs} runs)`,
    () => {
      const alphabet = fc.constantFrom(...Buffer.from('+-:$*%~>|_#,(=!\r\n0123456789-?abc'));
      fc.assert(
        fc.property(
          fc.array(alphabet, { maxLength: 60 }),
          fc.constantFrom(4, 8, 2 ** 20),
          cuts,
          (bytes, maxLineLength, fractions) => {
            expectChunkingInvariant(Buffer.from(bytes), fractions, { maxLineLength });
          },
        ),
        { numRuns: runs },
      );
    },
    timeoutMs,
  );
});
