import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Decoder, ProtocolError } from '../src/index.js';

// A full collection before each reading makes heap figures repeatable; vitest's workers do not
// run with --expose-gc, so turn it on here and take `gc` from a fresh context.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Heap in use, Buffer contents included, after a full collection. */
function heapInUse(): number {
  collectGarbage();
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const MiB = 1024 * 1024;
const hugeArray = Buffer.from('*4294967295\r\n');

/** A 64 KiB socket chunk of `element` repeated. */
const chunkOf = (element: string) =>
  Buffer.from(element.repeat(Math.floor(65_536 / element.length)));

/**
 * Feeds `header`, then `chunk` until the decoder fails or `limitBytes` were sent; returns the
 * failure and the heap the decoder holds at that point.
 */
function feedHostile(decoder: Decoder, header: Buffer, chunk: Buffer, limitBytes: number) {
  const before = heapInUse();
  let failure: unknown;
  try {
    decoder.write(header);
    for (let sent = 0; sent < limitBytes; sent += chunk.length) decoder.write(chunk);
  } catch (error) {
    failure = error;
  }
  const heapGrowth = heapInUse() - before;
  // Used after the reading, so that V8 cannot collect the decoder (and its reply) before it.
  expect(decoder.idle).toBe(false);
  return { failure, heapGrowth };
}

describe('memory held for one reply (maxReplyBytes)', () => {
  it.each([
    ['tiny integers', ':1\r\n'],
    ['1-byte bulk strings', '$1\r\na\r\n'],
    ['error replies', '-E\r\n'],
    ['empty arrays', '*0\r\n'],
  ])('stops a huge array of endless %s at the bound, holding less than it', (_, element) => {
    const maxReplyBytes = 16 * MiB;
    const decoder = new Decoder({ onReply: () => {}, maxReplyBytes });
    // Each value counts at least its wire bytes: the bound is hit before that many are sent.
    const { failure, heapGrowth } = feedHostile(
      decoder,
      hugeArray,
      chunkOf(element),
      maxReplyBytes,
    );
    expect(ProtocolError.is(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/maxReplyBytes \(16777216\)/);
    // The partial reply is still held by the decoder here: the estimate covers its real heap.
    expect(heapGrowth).toBeLessThan(maxReplyBytes);
    expect(heapGrowth).toBeGreaterThan(maxReplyBytes / 10);
  });

  it.each([
    ['invalid bytes (each decoded as U+FFFD)', Buffer.alloc(4096, 0x80)],
    ['ASCII with one euro sign', Buffer.from(`${'a'.repeat(4093)}€`)],
  ])('bounds text kept at two bytes a character: 4 KiB bulk strings of %s', (_, body) => {
    const maxReplyBytes = 32 * MiB;
    const decoder = new Decoder({ onReply: () => {}, maxReplyBytes, bulkStringsAs: 'string' });
    const element = Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
    const chunk = Buffer.concat(Array.from({ length: 16 }, () => element));
    const { failure, heapGrowth } = feedHostile(decoder, hugeArray, chunk, 2 * maxReplyBytes);
    expect((failure as Error).message).toMatch(/maxReplyBytes \(33554432\)/);
    // The estimate is tight here (two bytes a character, measured 1.0003x): allow the chunk in
    // flight and the decoder's own state. Before text was counted twice, it held 1.98x.
    expect(heapGrowth).toBeLessThan(maxReplyBytes * 1.05);
  });

  it('stops endless tiny integers at the default bound (1 GiB) within about a second', () => {
    // Measured by hand: 29.8 million integers, ~1 s, 255 MiB of heap. 1-byte bulk strings stop
    // after 8.5 million in ~2 s with 915 MiB (bench/reply-memory.mjs --hostile).
    const decoder = new Decoder({ onReply: () => {} });
    const { failure, heapGrowth } = feedHostile(decoder, hugeArray, chunkOf(':1\r\n'), 2 ** 30);
    expect((failure as Error).message).toMatch(/maxReplyBytes \(1073741824\)/);
    expect(heapGrowth).toBeLessThan(400 * MiB);
  });

  it('holds at most about twice the bytes of a bulk string dribbled one byte per chunk', () => {
    const received = 2 * MiB;
    const wire = Buffer.alloc(received, 'v');
    const decoder = new Decoder({ onReply: () => {} });
    const before = heapInUse();
    decoder.write(Buffer.from(`$${4 * received}\r\n`));
    // Each write gets its own 1-byte Buffer, as a socket would deliver it.
    for (let index = 0; index < received; index++) decoder.write(wire.subarray(index, index + 1));
    const heapGrowth = heapInUse() - before;
    // Used after the reading, so that V8 cannot collect them before it.
    expect(decoder.idle).toBe(false);
    expect(wire.length).toBe(received);
    // Staging buffers double: just after a new one is allocated they hold 2x the bytes received.
    expect(heapGrowth).toBeLessThan(2 * received + MiB / 2);
  });

  it('holds at most about twice the bytes of a line dribbled one byte per chunk', () => {
    const received = 1024 * 1024 - 16;
    const wire = Buffer.from(`+${'v'.repeat(received)}`);
    const decoder = new Decoder({ onReply: () => {} });
    const before = heapInUse();
    for (let index = 0; index < wire.length; index++)
      decoder.write(wire.subarray(index, index + 1));
    const heapGrowth = heapInUse() - before;
    // Used after the reading, so that V8 cannot collect them before it.
    expect(decoder.idle).toBe(false);
    expect(wire.length).toBe(received + 1);
    expect(heapGrowth).toBeLessThan(2 * received + MiB / 2);
  });

  it('decodes a bulk string dribbled one byte per chunk intact', () => {
    const body = Buffer.from(Array.from({ length: 10_000 }, (_, index) => index % 251));
    const wire = Buffer.concat([
      Buffer.from(`*1\r\n$${body.length}\r\n`),
      body,
      Buffer.from('\r\n'),
    ]);
    const replies: unknown[] = [];
    const decoder = new Decoder({ onReply: (reply) => replies.push(reply) });
    for (let index = 0; index < wire.length; index++)
      decoder.write(wire.subarray(index, index + 1));
    expect(replies).toEqual([[body]]);
  });
});
