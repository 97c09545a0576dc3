// Review 19c. Two ways a cached read that was already sent comes back to the offline queue
// wrongly when its connection fails (ClientCache#retry -> #dispatch):
//
// 1. Every caller gave up (own timeoutMs/signal) while the read was on its way. Review 19b's fix
//    takes a read nobody waits for out of the queue only at the moment the last caller gives
//    up; a read on its way stays (right: its reply fills the cache), but when its connection then
//    fails it is queued again although nobody waits for it (client.doWith() requests that were
//    abandoned are never carried over: conn's carryOverOf checks `abandoned`). While the server
//    is unreachable, close() waits for it: up to offlineWaitMs, for ever with Infinity, and the
//    client keeps dialling for it. It also counts towards maxOfflineCommands.
//
// 2. A read taken back after its connection failed is refused by maxOfflineCommands like a new
//    call, and fails with OfflineQueueFullError "...: the command was not sent" although it was
//    sent, instead of being sent again (README: "a read whose connection fails is sent again on
//    the next one, up to idempotentRetries times"; client.ts #wait: a carried-over request is
//    not turned away by maxOfflineCommands). An idempotent client.doWith() is carried over.
//
// A real server, stopped with SIGSTOP, so the read is on its way when readTimeoutMs fails the
// connection, and dials fail (the kernel accepts, the PING times out) until SIGCONT.
import { setTimeout as sleep } from 'node:timers/promises';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient } from '../../src/index.js';

let server: RedisServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  if (server !== undefined) process.kill(server.pid, 'SIGCONT');
  client?.destroy();
  await server?.stop();
  server = undefined;
  client = undefined;
});

async function readyClient(options: object): Promise<Client> {
  server = await startRedisServer();
  client = createClient(server.url, {
    protocol: 3,
    cache: {},
    decoder: { bulkStringsAs: 'string' },
    readTimeoutMs: 300,
    connectTimeoutMs: 300,
    reconnect: { baseDelayMs: 20, maxDelayMs: 50 },
    ...options,
  });
  while (client.status !== 'ready') await sleep(10);
  await client.do('SET', 'k', 'v');
  return client;
}

function closesWithin(client: Client, ms: number): Promise<string> {
  return Promise.race([client.close().then(() => 'closed'), sleep(ms).then(() => 'still closing')]);
}

describe('a cached read on its way when its connection fails', () => {
  it('close() does not wait for a read whose caller gave up before the connection failed', async () => {
    const client = await readyClient({ offlineWaitMs: Number.POSITIVE_INFINITY });
    process.kill(server!.pid, 'SIGSTOP');
    await expect(client.cache.doWith({ timeoutMs: 100 }, 'GET', 'k')).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    // readTimeoutMs fails the connection with the read on board.
    await sleep(500);
    expect(client.status).toBe('reconnecting');
    // Fails: 'still closing' (for ever, with offlineWaitMs Infinity). The same steps with
    // client.doWith({ timeoutMs: 100, idempotent: true }, 'GET', 'k') close in about 2 ms.
    expect(await closesWithin(client, 1_500)).toBe('closed');
  });

  it('is sent again on the next connection with maxOfflineCommands 0, as an idempotent call is', async () => {
    const client = await readyClient({ maxOfflineCommands: 0 });
    process.kill(server!.pid, 'SIGSTOP');
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error: String(error) }),
      );
    const call = outcome(client.doWith({ idempotent: true }, 'GET', 'k'));
    const cached = outcome(client.cache.do('GET', 'k'));
    await sleep(500);
    process.kill(server!.pid, 'SIGCONT');
    expect(await call).toEqual({ value: 'v' });
    // Fails: { error: 'OfflineQueueFullError: the client is not connected and
    // maxOfflineCommands is 0: the command was not sent' }.
    expect(await cached).toEqual({ value: 'v' });
  });
});
