// Shared setup for the review's reproductions: one real redis-server per file, a writer
// connection of its own, and caching clients destroyed after each test.
import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Client, createClient } from '../../src/index.js';

export function useCacheServer() {
  const redis = useRedisServer();
  const state: { writer: Connection } = { writer: undefined as unknown as Connection };
  const clients: Client[] = [];
  beforeAll(async () => {
    state.writer = await dial(redis.url);
  });
  afterAll(() => state.writer?.close());
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await state.writer.do('FLUSHALL');
  });
  return {
    redis,
    get writer() {
      return state.writer;
    },
    /** A caching client with string replies. */
    cachingClient(cache: object = {}, options: object = {}): Client {
      const client = createClient(redis.url, {
        protocol: 3,
        cache,
        decoder: { bulkStringsAs: 'string' },
        ...options,
      });
      clients.push(client);
      return client;
    },
  };
}

/**
 * The length of a value whose RESP3 bulk reply, followed by `tail` more bytes of replies, ends
 * exactly at 65,536 bytes: Node reads a socket 64 KiB at a time, so whatever the server wrote
 * after those replies (an invalidation push) comes in the next socket read, after the awaiting
 * caller has run. This makes the split between a reply and the push that follows it, which the
 * network makes at random, happen every time on a real server.
 */
export function padLength(tail: number): number {
  let length = 65_536 - tail;
  while (1 + String(length).length + 2 + length + 2 + tail > 65_536) length--;
  return length;
}
