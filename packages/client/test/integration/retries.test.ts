import { type Connection, ConnectionError, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

const redis = useRedisServer();
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url);
});
afterAll(() => admin?.close());
afterEach(() => admin.do('CLIENT', 'UNPAUSE'));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills the client's connection while its command is written and held unanswered: CLIENT PAUSE
 * WRITE holds write commands without running them (CLIENT LIST flags=b), and CLIENT KILL is not
 * a write.
 */
async function killWhileWritten(name: string): Promise<void> {
  let held: string | undefined;
  for (let attempt = 0; attempt < 200 && held === undefined; attempt++) {
    const list = String(await admin.do('CLIENT', 'LIST', 'TYPE', 'normal'));
    held = list
      .split('\n')
      .find((line) => line.includes(` name=${name} `) && line.includes(' flags=b '));
    if (held === undefined) await sleep(10);
  }
  const id = /^id=(\d+)/.exec(held ?? '')?.[1];
  if (id === undefined) throw new Error(`no connection named ${name} is held by the pause`);
  await admin.do('CLIENT', 'KILL', 'ID', id);
}

describe.each([2, 3] as const)('over RESP%i', (protocol) => {
  it('rejects a written, unanswered command with sent: true and never sends it again', async () => {
    const name = `once-${protocol}`;
    const client = createClient(redis.url, { protocol, clientName: name });
    const key = `once:${protocol}`;
    await client.do('DEL', key);
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const written = client.do('INCR', key).catch((error: unknown) => error);
    await killWhileWritten(name);
    await admin.do('CLIENT', 'UNPAUSE');
    const failure = await written;
    expect(ConnectionError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ sent: true });
    await sleep(50);
    // The paused INCR died with its connection, and nothing sent it again.
    expect(await client.do('GET', key)).toBe(null);
    await client.close();
  });

  it('sends a command marked idempotent again on the next connection, up to idempotentRetries', async () => {
    const name = `retried-${protocol}`;
    const client = createClient(redis.url, { protocol, clientName: name, idempotentRetries: 2 });
    const key = `retried:${protocol}`;
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const retried = client.doWith({ idempotent: true }, 'SET', key, 'v');
    await killWhileWritten(name);
    await killWhileWritten(name);
    await admin.do('CLIENT', 'UNPAUSE');
    await expect(retried).resolves.toBe('OK');

    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const exhausted = client
      .doWith({ idempotent: true }, 'SET', key, 'w')
      .catch((error: unknown) => error);
    for (let kill = 0; kill < 3; kill++) await killWhileWritten(name);
    await admin.do('CLIENT', 'UNPAUSE');
    expect(ConnectionError.is(await exhausted)).toBe(true);
    expect(await exhausted).toMatchObject({ sent: true });
    await client.close();
  });

  it('never sends again an idempotent command whose caller gave up', async () => {
    const name = `gave-up-${protocol}`;
    const client = createClient(redis.url, { protocol, clientName: name, idempotentRetries: 3 });
    const key = `gave-up:${protocol}`;
    await client.do('DEL', key);
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const abandoned = client
      .doWith({ idempotent: true, timeoutMs: 100 }, 'SET', key, 'v')
      .catch((error: unknown) => error);
    expect(((await abandoned) as Error).name).toBe('TimeoutError');
    // Written and held by the pause when the connection dies: the caller is gone, so it stays dead.
    await killWhileWritten(name);
    await admin.do('CLIENT', 'UNPAUSE');
    await sleep(100);
    expect(await client.do('GET', key)).toBe(null);
    await client.close();
  });

  it('says sent: true when an idempotent command written once then fails unsent', async () => {
    const name = `sent-flag-${protocol}`;
    const client = createClient(redis.url, { protocol, clientName: name, idempotentRetries: 1 });
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const written = client
      .doWith({ idempotent: true }, 'SET', `sent-flag:${protocol}`, 'v')
      .catch((error: unknown) => error);
    // The server will refuse the next handshake: the carried-over SET never goes out again.
    await admin.do('ACL', 'SETUSER', 'default', 'resetpass', '>now-required');
    try {
      await killWhileWritten(name);
      const failure = await written;
      expect(ConnectionError.is(failure)).toBe(true);
      expect(failure).toMatchObject({ sent: true });
    } finally {
      await admin.do('ACL', 'SETUSER', 'default', 'resetpass', 'nopass');
      await client.close();
    }
  });

  it('carries written idempotent commands over even past maxOfflineCommands', async () => {
    const name = `carried-${protocol}`;
    const client = createClient(redis.url, {
      protocol,
      clientName: name,
      maxOfflineCommands: 1,
    });
    await client.do('PING');
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const incrs = ['a', 'b', 'c'].map((key) =>
      client.doWith({ idempotent: true }, 'SET', `carried:${protocol}:${key}`, key),
    );
    await killWhileWritten(name);
    await admin.do('CLIENT', 'UNPAUSE');
    // Already issued, not new calls: the limit that holds back new calls lets them through.
    expect(await Promise.all(incrs)).toEqual(['OK', 'OK', 'OK']);
    await client.close();
  });

  it('counts an idempotent call time limit across its attempts', async () => {
    const name = `limited-${protocol}`;
    const client = createClient(redis.url, { protocol, clientName: name, idempotentRetries: 5 });
    await admin.do('CLIENT', 'PAUSE', 10_000, 'WRITE');
    const started = performance.now();
    const limited = client
      .doWith({ idempotent: true, timeoutMs: 400 }, 'SET', 'limited', 'v')
      .catch((error: unknown) => error);
    await killWhileWritten(name);
    const failure = await limited;
    const tookMs = performance.now() - started;
    expect((failure as Error).name).toBe('TimeoutError');
    expect(tookMs).toBeGreaterThanOrEqual(390);
    expect(tookMs).toBeLessThan(1_000);
    await admin.do('CLIENT', 'UNPAUSE');
    await client.close();
  });
});
