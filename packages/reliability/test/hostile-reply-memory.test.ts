import type { Socket } from 'node:net';
import { dial } from '@x/conn';
import { ProtocolError } from '@x/resp';
import { startFakeServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { recordFigure } from './figures.js';

const MiB = 1024 * 1024;

/** Writes `chunk` to `socket` for ever, as fast as the client reads, until the socket closes. */
function pumpForever(socket: Socket, chunk: Buffer): void {
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk));
    if (!socket.destroyed) socket.once('drain', pump);
  };
  pump();
}

/** Samples the heap (Buffer contents included) every 20 ms; stop() returns the highest reading. */
function watchHeap() {
  const reading = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const before = reading();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, reading());
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, reading()) - before;
    },
  };
}

describe('a reply that never ends: *4294967295 then endless tiny elements', () => {
  it.each([
    ['the default maxReplyBytes (1 GiB)', undefined, 1024 * MiB],
    ['maxReplyBytes 16 MiB', 16 * MiB, 16 * MiB],
  ])(
    'fails the connection with %s, its memory bounded by it',
    async (label, maxReplyBytes, bound) => {
      const element = ':1\r\n';
      const chunk = Buffer.from(element.repeat(16_384));
      const fake = await startFakeServer({
        onCommand: (command, connection) => {
          if (command[0] !== 'GET') return 'OK';
          connection.write('*4294967295\r\n');
          pumpForever(connection.socket, chunk);
          return undefined;
        },
      });
      try {
        const conn = await dial(
          fake.url,
          maxReplyBytes === undefined ? {} : { decoder: { maxReplyBytes } },
        );
        const heap = watchHeap();
        const started = performance.now();
        const failure = await conn.do('GET', 'x').catch((error: unknown) => error);
        const settledMs = Math.round(performance.now() - started);
        const peakGrowth = heap.stop();
        expect((failure as Error).name).toBe('ConnectionError');
        const cause = (failure as Error).cause;
        expect(ProtocolError.is(cause)).toBe(true);
        expect((cause as Error).message).toContain(`maxReplyBytes (${bound})`);
        // The estimate counts at least the heap a value keeps (bench/reply-memory.mjs in @x/resp).
        // The fake server runs in this process: its queued writes and the chunks on their way
        // through the sockets count in arrayBuffers too, without being the decoder's; CI once
        // read 16,891,521 B here (112 KiB over 16 MiB) under four test files at a time.
        const inFlightAllowance = 4 * chunk.length;
        expect(peakGrowth).toBeLessThan(bound + inFlightAllowance);
        recordFigure(`hostile endless reply, ${label}`, {
          settledMs,
          peakHeapGrowthMiB: Math.round(peakGrowth / MiB),
        });
      } finally {
        await fake.close();
      }
    },
  );
});
