import { setTimeout as sleep } from 'node:timers/promises';
import { type Connection, ConnectionError, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, ReadonlyReplyMap } from '../../src/index.js';

const redis = useRedisServer();
let writer: Connection;
const clients: Client[] = [];

beforeAll(async () => {
  writer = await dial(redis.url);
});
afterAll(() => writer?.close());
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await writer.do('FLUSHALL');
});

function cachingClient(cache: object = {}, options: object = {}): Client {
  const client = createClient(redis.url, { protocol: 3, cache, ...options });
  clients.push(client);
  return client;
}

const text = (reply: unknown) =>
  Buffer.isBuffer(reply) ? reply.toString() : (reply as string | null);

async function trackingFlags(client: Client): Promise<string[]> {
  const info = (await client.do('CLIENT', 'TRACKINGINFO')) as Map<unknown, unknown>;
  const flags = [...info].find(([name]) => text(name) === 'flags')?.[1] as unknown[];
  return flags.map((flag) => String(text(flag))).sort();
}

describe('client-side caching against a real server', () => {
  it('serves a repeated read from memory, and the next read after a change from the server', async () => {
    const client = cachingClient();
    await writer.do('SET', 'hot', 'v1');
    expect(text(await client.cache.do('GET', 'hot'))).toBe('v1');
    expect(text(await client.cache.do('GET', 'hot'))).toBe('v1');
    expect(client.cache.stats()).toMatchObject({ hits: 1, misses: 1, reads: 1, entries: 1 });
    await writer.do('SET', 'hot', 'v2');
    // Any reply read after the write was applied comes after its invalidation.
    await client.do('PING');
    expect(client.cache.stats().invalidations).toBe(1);
    expect(text(await client.cache.do('GET', 'hot'))).toBe('v2');
    expect(client.cache.stats()).toMatchObject({ hits: 1, misses: 2, reads: 2 });
  });

  it('asks the server to track only what it caches (OPTIN), and tracking survives nothing else', async () => {
    const client = cachingClient();
    await client.cache.do('GET', 'tracked');
    const info = String(text(await client.do('CLIENT', 'INFO')));
    expect(info).toMatch(/flags=\S*t/);
    expect(await trackingFlags(client)).toEqual(['on', 'optin']);
    // An uncached read of another key is not tracked: a write to it sends nothing.
    await client.do('GET', 'untracked');
    await writer.do('SET', 'untracked', 'x');
    await client.do('PING');
    expect(client.cache.stats().invalidations).toBe(0);
  });

  it('never returns a value older than a write acknowledged before the read, over 10,000 writes', async () => {
    const client = cachingClient();
    await writer.do('SET', 'counter', 0);
    let acknowledged = 0;
    let writing = true;
    let lastSeen = 0;
    let reads = 0;
    let backwards = 0;
    // Readers in a loop, concurrently with the writes: values they see never go backwards.
    const readers = Array.from({ length: 4 }, async () => {
      while (writing) {
        const seen = Number(text(await client.cache.do('GET', 'counter')));
        if (seen < lastSeen) backwards++;
        lastSeen = Math.max(lastSeen, seen);
        reads++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    });
    let stale = 0;
    for (let value = 1; value <= 10_000; value++) {
      await writer.do('SET', 'counter', value);
      acknowledged = value;
      if (value % 10 === 0) {
        // The guarantee: once this client has read anything from the server after the write
        // was acknowledged, a cached read is at least that new.
        await client.do('PING');
        const seen = Number(text(await client.cache.do('GET', 'counter')));
        if (seen < acknowledged) stale++;
      }
    }
    writing = false;
    await Promise.all(readers);
    expect(stale).toBe(0);
    expect(backwards).toBe(0);
    expect(reads).toBeGreaterThan(1_000);
    const stats = client.cache.stats();
    // It did cache: far fewer trips than reads.
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.reads).toBeLessThan(stats.hits + stats.misses);
  }, 60_000);

  it("reads its own writes at once: a write this client sends drops the key's entries", async () => {
    const client = cachingClient();
    let stale = 0;
    for (let round = 0; round < 2_000; round++) {
      // Other traffic in the same reads, so that a reply and the invalidation after it are
      // often split between socket reads.
      const noise = Array.from({ length: 20 }, () => client.do('SET', 'noise', 'x'.repeat(2_000)));
      await client.cache.do('GET', 'mine');
      await client.do('SET', 'mine', round);
      if (Number(text(await client.cache.do('GET', 'mine'))) !== round) stale++;
      await Promise.all(noise);
    }
    expect(stale).toBe(0);
  }, 60_000);

  it('drops everything on FLUSHALL and FLUSHDB from another connection', async () => {
    const client = cachingClient();
    await writer.do('MSET', 'a', '1', 'b', '2');
    await client.cache.do('GET', 'a');
    await client.cache.do('GET', 'b');
    expect(client.cache.stats().entries).toBe(2);
    await writer.do('FLUSHALL');
    await client.do('PING');
    expect(client.cache.stats()).toMatchObject({ entries: 0, flushes: 1 });
    expect(await client.cache.do('GET', 'a')).toBeNull();
    await writer.do('SET', 'a', '3');
    await writer.do('FLUSHDB');
    await client.do('PING');
    expect(await client.cache.do('GET', 'a')).toBeNull();
  });

  it("caps an entry's life at the key's time to live on the server (PTTL in the same trip)", async () => {
    const client = cachingClient({ ttlMs: 60_000 });
    await writer.do('SET', 'expiring', 'soon', 'PX', 300);
    expect(text(await client.cache.do('GET', 'expiring'))).toBe('soon');
    expect(text(await client.cache.do('GET', 'expiring'))).toBe('soon');
    // Stop the server's own expiry from telling the client: only the local cap can drop it.
    await writer.do('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    try {
      await sleep(400);
      expect(await client.cache.do('GET', 'expiring')).toBeNull();
      expect(client.cache.stats().expired).toBe(1);
    } finally {
      await writer.do('DEBUG', 'SET-ACTIVE-EXPIRE', 1);
    }
  });

  it('is told when the server expires a key it cached (active expiry)', async () => {
    const client = cachingClient({ ttlMs: 60_000 });
    await writer.do('SET', 'expires', 'v');
    await client.cache.do('GET', 'expires');
    // The TTL comes after the read: the entry has no local cap, only the server's word.
    await writer.do('PEXPIRE', 'expires', 50);
    await client.do('PING');
    expect(client.cache.stats().invalidations).toBe(1);
    await client.cache.do('GET', 'expires');
    await expect.poll(() => client.cache.stats().invalidations, { timeout: 2_000 }).toBe(2);
    expect(await client.cache.do('GET', 'expires')).toBeNull();
  });

  it("keeps an entry at most its ttlMs, the call's own when given", async () => {
    const client = cachingClient({ ttlMs: 200 });
    await writer.do('SET', 'short', 'v');
    await client.cache.do('GET', 'short');
    await client.cache.doWith({ ttlMs: 50 }, 'STRLEN', 'short');
    await sleep(80);
    await client.cache.do('GET', 'short');
    await client.cache.do('STRLEN', 'short');
    expect(client.cache.stats()).toMatchObject({ hits: 1, reads: 3, expired: 1 });
    await sleep(250);
    await client.cache.do('GET', 'short');
    expect(client.cache.stats()).toMatchObject({ reads: 4, expired: 2 });
  });

  it('drops everything when the connection is lost, and tracks again on the next one', async () => {
    const client = cachingClient();
    await writer.do('SET', 'kept', 'v1');
    await client.cache.do('GET', 'kept');
    const id = await client.do('CLIENT', 'ID');
    await writer.do('CLIENT', 'KILL', 'ID', id as number);
    await expect.poll(() => client.cache.stats().entries).toBe(0);
    expect(client.cache.stats().flushes).toBe(1);
    expect(text(await client.cache.do('GET', 'kept'))).toBe('v1');
    expect(await client.do('CLIENT', 'ID')).not.toBe(id);
    await writer.do('SET', 'kept', 'v2');
    await client.do('PING');
    expect(text(await client.cache.do('GET', 'kept'))).toBe('v2');
  });

  it('sends one read per key however many callers ask at once', async () => {
    const client = cachingClient();
    await writer.do('SET', 'popular', 'v');
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => client.cache.do('GET', 'popular')),
    );
    expect(new Set(replies.map(text))).toEqual(new Set(['v']));
    expect(client.cache.stats()).toMatchObject({ reads: 1, misses: 200, hits: 0 });
  });

  it('caches MGET per key, fetching only the keys it lacks', async () => {
    const client = cachingClient();
    await writer.do('MSET', 'm1', 'a', 'm2', 'b', 'm3', 'c');
    await client.cache.do('GET', 'm1');
    const values = (await client.cache.do('MGET', 'm1', 'm2', 'nothing', 'm3', 'm2')) as unknown[];
    expect(values.map(text)).toEqual(['a', 'b', null, 'c', 'b']);
    expect(client.cache.stats()).toMatchObject({ reads: 2, hits: 1 });
    expect(text(await client.cache.do('GET', 'm3'))).toBe('c');
    expect(client.cache.stats()).toMatchObject({ reads: 2, hits: 2 });
    await writer.do('SET', 'm2', 'B');
    await client.do('PING');
    expect(((await client.cache.do('MGET', 'm1', 'm2')) as unknown[]).map(text)).toEqual([
      'a',
      'B',
    ]);
    expect(client.cache.stats().reads).toBe(3);
  });

  it('caches hash reads per field and whole, dropped together when the hash changes', async () => {
    const client = cachingClient();
    await writer.do('HSET', 'user:1', 'name', 'Ada', 'lang', 'en');
    const all = (await client.cache.do('HGETALL', 'user:1')) as Map<unknown, unknown>;
    expect(all.size).toBe(2);
    expect(text(await client.cache.do('HGET', 'user:1', 'name'))).toBe('Ada');
    expect(text(await client.cache.do('HGET', 'user:1', 'lang'))).toBe('en');
    await client.cache.do('HGETALL', 'user:1');
    expect(client.cache.stats()).toMatchObject({ entries: 3, hits: 1 });
    await writer.do('HSET', 'user:1', 'name', 'Grace');
    await client.do('PING');
    expect(client.cache.stats().entries).toBe(0);
    expect(text(await client.cache.do('HGET', 'user:1', 'name'))).toBe('Grace');
    const members = await client.cache.do('SMEMBERS', 'nothing');
    expect(members).toEqual([]);
  });

  it('shares values without copies where callers cannot change them, and copies Buffers', async () => {
    const buffers = cachingClient();
    await writer.do('SET', 'bytes', 'abc');
    const first = (await buffers.cache.do('GET', 'bytes')) as Buffer;
    first[0] = 0x7a;
    const second = (await buffers.cache.do('GET', 'bytes')) as Buffer;
    expect(second.toString()).toBe('abc');
    expect(second).not.toBe(first);

    const strings = cachingClient({}, { decoder: { bulkStringsAs: 'string' } });
    await writer.do('RPUSH', 'list', 'x', 'y');
    await writer.do('HSET', 'hash', 'f', 'v');
    const list = (await strings.cache.do('LRANGE', 'list', 0, -1)) as string[];
    expect(await strings.cache.do('LRANGE', 'list', 0, -1)).toBe(list);
    expect(() => list.push('z')).toThrow(TypeError);
    const hash = (await strings.cache.do('HGETALL', 'hash')) as Map<string, string>;
    expect(hash).toBeInstanceOf(ReadonlyReplyMap);
    expect(await strings.cache.do('HGETALL', 'hash')).toBe(hash);
    expect(() => hash.set('f', 'changed')).toThrow(TypeError);
    expect(() => hash.delete('f')).toThrow(TypeError);
    expect(hash.get('f')).toBe('v');
  });

  it('evicts the least recently used past maxEntries, and past maxBytes', async () => {
    const client = cachingClient({ maxEntries: 3 });
    await writer.do('MSET', 'e1', '1', 'e2', '2', 'e3', '3', 'e4', '4');
    for (const key of ['e1', 'e2', 'e3']) await client.cache.do('GET', key);
    await client.cache.do('GET', 'e1'); // used: spared once
    await client.cache.do('GET', 'e4');
    expect(client.cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
    await client.cache.do('GET', 'e1');
    expect(client.cache.stats().hits).toBe(2);
    await client.cache.do('GET', 'e2');
    expect(client.cache.stats().reads).toBe(5);

    const small = cachingClient({ maxBytes: 4_096 });
    await writer.do('SET', 'big', 'x'.repeat(5_000));
    await writer.do('SET', 'medium', 'x'.repeat(1_500));
    expect(text(await small.cache.do('GET', 'big'))).toHaveLength(5_000);
    expect(small.cache.stats().entries).toBe(0);
    await small.cache.do('GET', 'medium');
    await writer.do('SET', 'medium2', 'y'.repeat(1_500));
    await writer.do('SET', 'medium3', 'z'.repeat(1_500));
    await small.cache.do('GET', 'medium2');
    await small.cache.do('GET', 'medium3');
    expect(small.cache.stats().bytes).toBeLessThanOrEqual(4_096);
    expect(small.cache.stats().evictions).toBeGreaterThan(0);
  });

  it('follows key prefixes in BCAST mode, and refuses keys outside them', async () => {
    const client = cachingClient({ mode: 'bcast', prefixes: ['user:'] });
    await writer.do('SET', 'user:9', 'a');
    expect(text(await client.cache.do('GET', 'user:9'))).toBe('a');
    await writer.do('SET', 'user:9', 'b');
    await client.do('PING');
    expect(text(await client.cache.do('GET', 'user:9'))).toBe('b');
    await expect(client.cache.do('GET', 'order:1')).rejects.toThrow(/outside the cache's BCAST/);
    expect(await trackingFlags(client)).toEqual(['bcast', 'on']);
  });

  it('refuses what it cannot cache, clearly, before sending anything', async () => {
    expect(() => createClient(redis.url, { cache: {} })).toThrow(/needs protocol: 3/);
    expect(() => createClient(redis.url, { protocol: 3, cache: { mode: 'x' as 'bcast' } })).toThrow(
      RangeError,
    );
    const off = createClient(redis.url, { protocol: 3 });
    clients.push(off);
    await expect(off.cache.do('GET', 'k')).rejects.toThrow(/caching is off/);
    const client = cachingClient();
    await expect(client.cache.do('SET', 'k', 'v')).rejects.toThrow(/SET cannot be cached/);
    await expect(client.cache.do('SRANDMEMBER', 'k')).rejects.toThrow(TypeError);
    await expect(client.cache.do('GET', Buffer.from([0xff, 0xfe]))).rejects.toThrow(/not UTF-8/);
    await expect(client.cache.do('GET')).rejects.toThrow(/needs a key/);
    await expect(client.cache.do('MGET')).rejects.toThrow(/at least one key/);
    await expect(client.cache.doWith({ ttlMs: 0 }, 'GET', 'k')).rejects.toThrow(RangeError);
    await expect(client.cache.doWith({ ttlMs: -1 }, 'GET', 'k')).rejects.toThrow(RangeError);
    expect(client.cache.stats().reads).toBe(0);
  });

  it('fails calls fast when the server refuses tracking (ACL), and keeps trying', async () => {
    await writer.do('ACL', 'SETUSER', 'notrack', 'on', '>pw', '~*', '+@all', '-client');
    try {
      const client = cachingClient({}, { username: 'notrack', password: 'pw' });
      const started = performance.now();
      const error = await client.do('GET', 'k').catch((caught: unknown) => caught);
      expect(ConnectionError.is(error) && error.code).toBe('ERR_HANDSHAKE');
      expect(String((error as Error).message)).toMatch(/NOPERM/);
      expect(performance.now() - started).toBeLessThan(2_000);
      await expect(client.cache.do('GET', 'k')).rejects.toThrow(/NOPERM/);
    } finally {
      await writer.do('ACL', 'DELUSER', 'notrack');
    }
  });

  it('waits for a connection like any call, and fails after offlineWaitMs', async () => {
    const client = createClient('redis://127.0.0.1:1', {
      protocol: 3,
      cache: {},
      offlineWaitMs: 100,
    });
    clients.push(client);
    const error = await client.cache.do('GET', 'k').catch((caught: unknown) => caught);
    expect(ConnectionError.is(error) && error.code).toBe('ERR_NOT_CONNECTED');
  });

  it("keeps serving a swapped-out database after another connection's or a script's SWAPDB (the server says nothing); clear() cures it", async () => {
    const client = cachingClient({}, { decoder: { bulkStringsAs: 'string' } });
    await writer.do('SET', 'swapped', 'db0');
    const other = await dial(redis.url, { database: 1 });
    try {
      await other.do('SET', 'swapped', 'db1');
      expect(await client.cache.do('GET', 'swapped')).toBe('db0');
      await other.do('SWAPDB', 0, 1);
    } finally {
      await other.close();
    }
    await client.do('PING');
    // Redis 7.0 sends tracking clients no invalidation for SWAPDB: the README says so.
    expect(client.cache.stats()).toMatchObject({ invalidations: 0, flushes: 0 });
    expect(await client.cache.do('GET', 'swapped')).toBe('db0');
    client.cache.clear();
    expect(await client.cache.do('GET', 'swapped')).toBe('db1');
    // This client's own SWAPDB drops everything when sent.
    await client.do('SWAPDB', 0, 1);
    expect(await client.cache.do('GET', 'swapped')).toBe('db0');
    // One a script runs is as silent: the client cannot see it, as the README says.
    await client.do('EVAL', "return redis.call('SWAPDB', 0, 1)", 0);
    expect(await client.do('GET', 'swapped')).toBe('db1');
    expect(await client.cache.do('GET', 'swapped')).toBe('db0');
    client.cache.clear();
    expect(await client.cache.do('GET', 'swapped')).toBe('db1');
    await writer.do('SWAPDB', 0, 1);
  });

  it('refuses reads after close(), and finishes reads issued before it', async () => {
    const client = cachingClient();
    await writer.do('SET', 'closing', 'v');
    const before = client.cache.do('GET', 'closing');
    const closed = client.close();
    await expect(client.cache.do('GET', 'closing')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(text(await before)).toBe('v');
    await closed;
    expect(client.cache.stats().entries).toBe(0);
  });
});
