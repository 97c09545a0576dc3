import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReply, type Reply, ReplyError } from '../src/index.js';
import { decodeChunks } from './decode-helpers.js';

interface RedisParser {
  execute(buffer: Buffer): void;
}
type RedisParserFactory = new (options: {
  returnReply: (reply: unknown) => void;
  returnError: (error: Error) => void;
  returnBuffers?: boolean;
}) => RedisParser;
const RedisParser = createRequire(import.meta.url)('redis-parser') as RedisParserFactory;

/** RESP2 replies only: what redis-parser understands. */
const { resp2 } = fc.letrec<{ resp2: Reply }>((tie) => ({
  resp2: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 16 }).filter((text) => !/[\r\n]/.test(text)),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.constant(null),
    fc
      .string({ maxLength: 16 })
      .filter((text) => !/[\r\n]/.test(text))
      .map((text) => new ReplyError(`ERR ${text}`)),
    fc.array(tie('resp2'), { maxLength: 5 }),
  ),
}));

/**
 * Puts a reply in one comparable shape, whichever parser produced it. redis-parser in buffer
 * mode returns simple strings as Buffers too, so both kinds of string compare by their bytes.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') };
  if (typeof value === 'string') return { bytes: Buffer.from(value).toString('hex') };
  if (value instanceof Error) return { error: value.message };
  return value;
}

describe('differential: @x/resp against redis-parser', () => {
  it('decodes random RESP2 streams, in random chunks, to the same replies', () => {
    fc.assert(
      fc.property(
        fc.array(resp2, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (replies, cuts) => {
          const wire = Buffer.concat(replies.map((reply) => encodeReply(reply)));
          const offsets = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let start = 0;
          for (const offset of [...offsets, wire.length]) {
            chunks.push(wire.subarray(start, offset));
            start = offset;
          }
          const theirs: unknown[] = [];
          const parser = new RedisParser({
            returnReply: (reply) => theirs.push(reply),
            returnError: (error) => theirs.push(error),
            returnBuffers: true,
          });
          for (const chunk of chunks) if (chunk.length > 0) parser.execute(chunk);
          const fed = chunks.filter((chunk) => chunk.length > 0);
          const ours = decodeChunks(fed).replies;
          expect(ours.map(normalise)).toEqual(theirs.map(normalise));
          const views = decodeChunks(fed, { bulkStringsAs: 'view' }).replies;
          expect(views.map(normalise)).toEqual(theirs.map(normalise));
        },
      ),
      { numRuns: 500 },
    );
  });
});
