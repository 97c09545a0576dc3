import { type Connection, ConnectionError, dial, TimeoutError } from '@x/conn';
import { captureProcessFaults, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, type StatusEvent } from '../../src/index.js';
import { type CallOutcome, checkAtMostOnce, settle } from './outcomes.js';

const CALLS = 10_000;

let server: RedisServer;
let admin: Connection;

beforeAll(async () => {
  // Every write on disk before its reply: an acknowledged INCR survives kill -9.
  server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  admin = await dial(server.url);
});
afterAll(async () => {
  admin?.destroy();
  await server?.stop();
});

function nextStatus(client: Client, wanted: StatusEvent['status']): Promise<void> {
  return new Promise((resolve) => {
    const stop = client.onStatus((event) => {
      if (event.status !== wanted) return;
      stop();
      resolve();
    });
  });
}

/**
 * Issues CALLS INCRs of keys of their own, breaks the connection once the first reply is in (so
 * most are written and unanswered), issues CALLS more during the outage, and checks every call.
 */
async function outage(
  protocol: 2 | 3,
  prefix: string,
  breakConnection: (client: Client) => Promise<void>,
): Promise<{ inFlight: CallOutcome[]; during: CallOutcome[] }> {
  const client = createClient(server.url, { protocol, offlineWaitMs: 30_000 });
  const failures = captureProcessFaults();
  await client.do('PING');
  const inFlight = Array.from({ length: CALLS }, (_, index) =>
    settle(client.do('INCR', `${prefix}${index}`)),
  );
  await inFlight[0];
  const lost = nextStatus(client, 'reconnecting');
  await breakConnection(client);
  await lost;
  const during = Array.from({ length: CALLS }, (_, index) =>
    settle(client.do('INCR', `${prefix}${CALLS + index}`)),
  );
  const outcomes = { inFlight: await Promise.all(inFlight), during: await Promise.all(during) };
  await checkAtMostOnce(client, prefix, [...outcomes.inFlight, ...outcomes.during]);
  // Calls issued during the outage wait for the next connection and succeed on it.
  expect(outcomes.during.filter((outcome) => outcome.status !== 'fulfilled')).toEqual([]);
  await client.close();
  expect(await failures.stop()).toEqual([]);
  return outcomes;
}

const tally = (outcomes: CallOutcome[]) => ({
  acknowledged: outcomes.filter((outcome) => outcome.status === 'fulfilled').length,
  sentThenLost: outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.sent).length,
  neverSent: outcomes.filter((outcome) => outcome.status === 'rejected' && !outcome.sent).length,
});

describe.each([2, 3] as const)('over RESP%i', (protocol) => {
  it('CLIENT KILL with 10,000 calls in flight and 10,000 issued during the outage', async () => {
    const { inFlight } = await outage(protocol, `kill:${protocol}:`, async (client) => {
      const id = await admin.do('CLIENT', 'LIST', 'TYPE', 'normal');
      const ours = String(id)
        .split('\n')
        .find((line) => line.includes('cmd=incr'));
      const clientId = /id=(\d+)/.exec(ours ?? '')?.[1];
      expect(clientId, 'the client connection is running INCRs').toBeDefined();
      await admin.do('CLIENT', 'KILL', 'ID', clientId as string);
      void client;
    });
    const counts = tally(inFlight);
    console.log(`RESP${protocol} CLIENT KILL, in flight:`, counts);
    expect(counts.acknowledged + counts.sentThenLost + counts.neverSent).toBe(CALLS);
  }, 60_000);

  it('kill -9 and a restart on the same port with 10,000 calls in flight and 10,000 issued during the outage', async () => {
    const started = performance.now();
    let restarted = 0;
    const { inFlight } = await outage(protocol, `restart:${protocol}:`, async () => {
      const restarting = server.restart('SIGKILL').then(() => {
        restarted = performance.now();
      });
      // The outage goes on while `outage()` issues its second batch.
      restarting.catch(() => {});
      void restarting;
    });
    expect(restarted).toBeGreaterThan(started);
    admin.destroy();
    admin = await dial(server.url);
    const counts = tally(inFlight);
    console.log(`RESP${protocol} kill -9, in flight:`, counts);
    expect(counts.acknowledged + counts.sentThenLost + counts.neverSent).toBe(CALLS);
  }, 60_000);
});

describe('calls not yet written when the connection fails', () => {
  it('are sent on the next connection; written ones reject with sent: true', async () => {
    const client = createClient(server.url, { offlineWaitMs: 30_000 });
    const failures = captureProcessFaults();
    await client.do('PING');
    // A stopped server reads nothing: the socket buffers fill and the rest stays unwritten.
    process.kill(server.pid, 'SIGSTOP');
    const value = 'v'.repeat(64 * 1024);
    const calls = Array.from({ length: 500 }, (_, index) =>
      settle(client.do('SET', `unwritten:${index}`, value)),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.restart('SIGKILL');
    const outcomes = await Promise.all(calls);
    const counts = tally(outcomes);
    console.log('SIGSTOP then kill -9, 500 SETs of 64 KiB:', counts);
    expect(counts.neverSent).toBe(0);
    // The server answered none before it stopped: every success was sent on the new connection.
    expect(counts.acknowledged).toBeGreaterThan(0);
    expect(counts.sentThenLost).toBeGreaterThan(0);
    const keys = Array.from({ length: 500 }, (_, index) => `unwritten:${index}`);
    const stored = (await client.do('EXISTS', ...keys)) as number;
    expect(stored).toBe(counts.acknowledged);
    await client.close();
    admin.destroy();
    admin = await dial(server.url);
    expect(await failures.stop()).toEqual([]);
  }, 60_000);
});

describe('a server that stays down', () => {
  it('settles every call within its deadline, and backs off up to maxDelayMs', async () => {
    const client = createClient('redis://127.0.0.1:1', {
      offlineWaitMs: 300,
      reconnect: { baseDelayMs: 10, maxDelayMs: 80 },
    });
    const events: StatusEvent[] = [];
    client.onStatus((event) => events.push(event));
    const started = performance.now();
    const timed = (promise: Promise<unknown>) =>
      promise.then(
        () => ({ ok: true, error: undefined, ms: performance.now() - started }),
        (error: unknown) => ({ ok: false, error, ms: performance.now() - started }),
      );
    const plain = Array.from({ length: 1_000 }, () => timed(client.do('GET', 'k')));
    const limited = Array.from({ length: 100 }, () =>
      timed(client.doWith({ timeoutMs: 100 }, 'GET', 'k')),
    );
    const plainOutcomes = await Promise.all(plain);
    const limitedOutcomes = await Promise.all(limited);
    for (const outcome of plainOutcomes) {
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ code: 'ERR_NOT_CONNECTED', sent: false });
      expect(ConnectionError.is(outcome.error)).toBe(true);
      // The cause says why there is no connection.
      expect(String((outcome.error as Error).cause)).toMatch(/ECONNREFUSED|cannot connect/);
      expect(outcome.ms).toBeGreaterThanOrEqual(295);
      expect(outcome.ms).toBeLessThan(1_500);
    }
    for (const outcome of limitedOutcomes) {
      expect(TimeoutError.is(outcome.error)).toBe(true);
      expect(outcome.ms).toBeGreaterThanOrEqual(95);
      expect(outcome.ms).toBeLessThan(1_000);
    }
    const attempts = events.filter((event) => event.status === 'connecting');
    expect(attempts.length).toBeGreaterThan(3);
    for (const event of attempts) expect(event.retryInMs).toBeLessThanOrEqual(80);
    expect(attempts.at(-1)?.failures).toBe(attempts.length);
    client.destroy();
  });

  it('bounds the offline queue, and fails fast with maxOfflineCommands 0', async () => {
    const bounded = createClient('redis://127.0.0.1:1', { maxOfflineCommands: 100 });
    const outcomes = Array.from({ length: 150 }, () => settle(bounded.do('PING')));
    await new Promise((resolve) => setImmediate(resolve));
    bounded.destroy();
    const settled = await Promise.all(outcomes);
    expect(settled.filter((outcome) => outcome.code === 'ERR_OFFLINE_QUEUE_FULL').length).toBe(50);
    expect(settled.filter((outcome) => outcome.code === 'ERR_DESTROYED').length).toBe(100);

    const failFast = createClient('redis://127.0.0.1:1', { maxOfflineCommands: 0 });
    await expect(failFast.do('PING')).rejects.toMatchObject({ code: 'ERR_OFFLINE_QUEUE_FULL' });
    failFast.destroy();
  });
});
