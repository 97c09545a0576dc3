// What a real server cannot be made to do on demand: an invalidation split from the reply it
// follows, one between a read's replies, malformed invalidations, a stall or hang-up mid-read.
// A scripted server built on @x/resp plays Redis's tracking protocol, with those faults.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, TimeoutError } from '@x/conn';
import { ReplyError, type ReplyValue } from '@x/resp';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient } from '../../src/index.js';
import {
  type Fault,
  invalidation,
  startTrackingServer,
  type TrackingServer,
} from '../tracking-server.js';

const servers: TrackingServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.fake.close();
});

async function setUp(fault?: Fault, options: object = {}) {
  const server = await startTrackingServer(fault);
  servers.push(server);
  const client = createClient(server.fake.url, {
    protocol: 3,
    cache: {},
    decoder: { bulkStringsAs: 'string' },
    ...options,
  });
  clients.push(client);
  return { server, client };
}

describe('client-side caching when the server misbehaves or is slow', () => {
  it("reads its own write when the server's invalidation comes well after the write's reply", async () => {
    const { server, client } = await setUp((command, connection) => {
      if (command[0] !== 'SET') return undefined;
      server.values.set(command[1]!, command[2]!);
      // The invalidation in a later socket read than the reply it follows.
      setTimeout(() => connection.write(invalidation([command[1]!])), 50);
      return 'OK';
    });
    server.values.set('mine', 'v1');
    expect(await client.cache.do('GET', 'mine')).toBe('v1');
    await client.do('SET', 'mine', 'v2');
    expect(await client.cache.do('GET', 'mine')).toBe('v2');
    await sleep(80);
    expect(await client.cache.do('GET', 'mine')).toBe('v2');
  });

  it('keeps no value from a read the server invalidated while it was on its way', async () => {
    let raced = false;
    const { server, client } = await setUp((command, connection) => {
      if (command[0] !== 'GET' || raced) return undefined;
      raced = true;
      // Between the GET's reply and the PTTL's: the key changed after it was read.
      connection.reply(server.values.get('k') ?? null);
      connection.write(invalidation(['k']));
      server.values.set('k', 'v2');
      return 'silent';
    });
    server.values.set('k', 'v1');
    expect(await client.cache.do('GET', 'k')).toBe('v1');
    expect(client.cache.stats().entries).toBe(0);
    expect(await client.cache.do('GET', 'k')).toBe('v2');
    expect(server.count('GET')).toBe(2);
    expect(await client.cache.do('GET', 'k')).toBe('v2');
    expect(server.count('GET')).toBe(2);
  });

  it('does not let a caller join a read that an invalidation overtook', async () => {
    let first = true;
    let release: () => void = () => {};
    const { server, client } = await setUp((command) => {
      if (command[0] !== 'PTTL' || !first) return undefined;
      first = false;
      // Hold the first read's last reply (and every reply after it) until released.
      return new Promise<ReplyValue>((resolve) => {
        release = () => resolve(-1);
      });
    });
    server.values.set('k', 'old');
    const before = client.cache.do('GET', 'k');
    await expect.poll(() => server.count('PTTL')).toBe(1);
    server.values.set('k', 'new');
    server.invalidate(['k']);
    await expect.poll(() => client.cache.stats().invalidations).toBe(1);
    // Asked after the invalidation arrived: not served the older read's value.
    const after = client.cache.do('GET', 'k');
    release();
    expect(await before).toBe('old');
    expect(await after).toBe('new');
    expect(server.count('GET')).toBe(2);
  });

  it('drops everything on a malformed invalidation, and on one naming bytes that are not UTF-8', async () => {
    // Bulk strings as Buffers: bytes that are not UTF-8 reach the cache as they are.
    const { server, client } = await setUp(undefined, { decoder: {} });
    server.values.set('a', '1');
    await client.cache.do('GET', 'a');
    server.invalidate(42);
    await expect.poll(() => client.cache.stats().flushes).toBe(1);
    expect(client.cache.stats().entries).toBe(0);
    await client.cache.do('GET', 'a');
    server.invalidate([Buffer.from([0xff])]);
    await expect.poll(() => client.cache.stats().flushes).toBe(2);
    await client.cache.do('GET', 'a');
    server.invalidate(null);
    await expect.poll(() => client.cache.stats().flushes).toBe(3);
    expect(client.cache.stats().entries).toBe(0);
  });

  it('keeps nothing when the server refuses CLIENT CACHING YES, and still answers', async () => {
    const { server, client } = await setUp((command) =>
      command[0] === 'CLIENT' && command[1] === 'CACHING'
        ? new ReplyError('ERR not in tracking mode')
        : undefined,
    );
    server.values.set('k', 'v');
    expect(await client.cache.do('GET', 'k')).toBe('v');
    expect(await client.cache.do('GET', 'k')).toBe('v');
    expect(client.cache.stats()).toMatchObject({ entries: 0, reads: 2 });
  });

  it('rejects an MGET answer that does not match the keys asked', async () => {
    const { client } = await setUp((command) => (command[0] === 'MGET' ? ['only one'] : undefined));
    await expect(client.cache.do('MGET', 'a', 'b')).rejects.toThrow(/MGET of 2 keys/);
    expect(client.cache.stats().entries).toBe(0);
  });

  it('gives up one caller at its time limit while the read goes on for the others', async () => {
    let release: () => void = () => {};
    const { server, client } = await setUp((command) => {
      if (command[0] !== 'GET') return undefined;
      return new Promise<ReplyValue>((resolve) => {
        release = () => resolve('late');
      });
    });
    server.values.set('k', 'late');
    const started = performance.now();
    const impatient = client.cache.doWith({ timeoutMs: 50 }, 'GET', 'k');
    const patient = client.cache.do('GET', 'k');
    await expect(impatient).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(500);
    release();
    expect(await patient).toBe('late');
    expect(await client.cache.do('GET', 'k')).toBe('late');
    expect(client.cache.stats().reads).toBe(1);
  });

  it('sends a read again on the next connection when the server hangs up on it', async () => {
    let hungUp = false;
    const { server, client } = await setUp((command, connection) => {
      if (command[0] !== 'GET' || hungUp) return undefined;
      hungUp = true;
      connection.hangUp();
      return 'silent';
    });
    server.values.set('k', 'v');
    expect(await client.cache.do('GET', 'k')).toBe('v');
    expect(server.count('GET')).toBe(2);
    expect(server.count('HELLO')).toBe(2);
  });

  it('fails a read after its retries when every connection hangs up on it', async () => {
    const { client } = await setUp(
      (command, connection) => {
        if (command[0] !== 'GET') return undefined;
        connection.hangUp();
        return 'silent';
      },
      { idempotentRetries: 2, reconnect: { baseDelayMs: 5, maxDelayMs: 10 } },
    );
    const error = await client.cache.do('GET', 'k').catch((caught: unknown) => caught);
    expect(ConnectionError.is(error) && error.sent).toBe(true);
  });

  it('fails calls with ERR_HANDSHAKE when the server refuses CLIENT TRACKING', async () => {
    const { client } = await setUp((command) =>
      command[0] === 'CLIENT' && command[1] === 'TRACKING'
        ? new ReplyError('ERR unknown subcommand')
        : undefined,
    );
    await expect(client.cache.do('GET', 'k')).rejects.toMatchObject({ code: 'ERR_HANDSHAKE' });
    await expect(client.do('GET', 'k')).rejects.toMatchObject({ code: 'ERR_HANDSHAKE' });
  });

  it('drops everything when the server goes silent, found by the keep-alive PING', async () => {
    let silent = false;
    const { server, client } = await setUp(() => (silent ? 'silent' : undefined), {
      keepAlivePingMs: 100,
    });
    server.values.set('k', 'v');
    await client.cache.do('GET', 'k');
    expect(await client.cache.do('GET', 'k')).toBe('v');
    // The server (or a NAT between) forgets the connection without closing it: hits send
    // nothing, so only the idle check can find out.
    silent = true;
    const started = performance.now();
    await expect.poll(() => client.cache.stats().flushes, { timeout: 2_000 }).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(client.cache.stats().entries).toBe(0);
  });

  it('stops for good when a dial function gives it a RESP2 connection', async () => {
    const { server } = await setUp();
    const { dial } = await import('@x/conn');
    const client = createClient(({ signal }) => dial(server.fake.url, { signal }), { cache: {} });
    clients.push(client);
    const error = await client.cache.do('GET', 'k').catch((caught: unknown) => caught);
    expect(ConnectionError.is(error) && error.code).toBe('ERR_DIAL_OPTIONS');
    expect(String((error as Error).message)).toMatch(/RESP3/);
  });
});
