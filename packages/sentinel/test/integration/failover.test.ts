import { createClient } from '@x/client';
import { Pool } from '@x/pool';
import { Gap, Subscriber } from '@x/pubsub';
import { ReplyError } from '@x/resp';
import { openRawClient, type SentinelGroup, startSentinelGroup } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { portOf } from './node-port.js';
import { type LoadReport, startSteadyLoad } from './steady-load.js';

// One group for the suite (it takes about 6 s to settle); the scenarios run in order on it.
const passwords = { node: 'node-secret', sentinel: 'sentinel-secret' };
let group: SentinelGroup;

beforeAll(async () => {
  group = await startSentinelGroup({ passwords });
  await group.settled();
}, 30_000);

afterAll(async () => {
  await group?.stop();
});

/** The client, pool and subscriber of an application, all dialled through the sentinels. */
function application(protocol: 2 | 3) {
  const dial = sentinelDial({
    sentinels: group.sentinelAddresses,
    masterName: group.masterName,
    password: passwords.node,
    clientName: 'app',
    protocol,
    sentinel: { password: passwords.sentinel, timeoutMs: 500 },
  });
  const client = createClient(dial, { offlineWaitMs: 20_000 });
  const pool = new Pool({ dial });
  const subscriber = new Subscriber({ dial });
  const received: string[] = [];
  let gaps = 0;
  const reading = (async () => {
    for await (const event of subscriber) {
      if (event instanceof Gap) gaps++;
      else received.push(event.text);
    }
  })();
  return {
    dial,
    client,
    pool,
    subscriber,
    received,
    gaps: () => gaps,
    /** Writes from the client and the pool, and messages published, until stopped. */
    load() {
      const loads = [
        startSteadyLoad(() => client.do('INCR', 'writes:client')),
        startSteadyLoad(() => pool.do('INCR', 'writes:pool'), { lanes: 2 }),
        startSteadyLoad((n) => client.do('PUBLISH', 'ticks', String(n)), {
          lanes: 1,
          intervalMs: 20,
        }),
      ];
      return async () => {
        const [writes, poolWrites, publishes] = await Promise.all(loads.map((l) => l.stop()));
        return { writes, poolWrites, publishes } as Record<string, LoadReport>;
      };
    },
    async close() {
      await Promise.all([client.close(), pool.close(), subscriber.close()]);
      await reading;
    },
  };
}

async function nodeCommand(port: number, ...command: string[]) {
  const raw = await openRawClient(port);
  try {
    await raw.call('AUTH', passwords.node);
    const reply = await raw.call(...command);
    if (reply instanceof Error) throw reply;
    return reply;
  } finally {
    raw.close();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Checks that every call of every load settled and many succeeded; prints what was measured. */
function settledEveryCall(
  scenario: string,
  reports: Record<string, LoadReport>,
  measured: Record<string, number>,
) {
  const summary = Object.fromEntries(
    Object.entries(reports).map(([name, r]) => [
      name,
      { ok: r.ok, failed: r.failed, pauseMs: r.longestPauseMs, failures: [...r.failures] },
    ]),
  );
  console.log(scenario, JSON.stringify({ ...measured, ...summary }));
  for (const report of Object.values(reports)) {
    expect(report.unsettled).toBe(0);
    expect(report.ok).toBeGreaterThan(10);
  }
}

it('learns the other sentinels from the one it was given (SENTINEL SENTINELS)', async () => {
  const dial = sentinelDial({
    sentinels: [group.sentinelAddresses[1]!],
    masterName: group.masterName,
    password: passwords.node,
    sentinel: { password: passwords.sentinel },
  });
  expect(dial.sentinels()).toEqual([group.sentinelAddresses[1]]);
  const conn = await dial({ signal: new AbortController().signal });
  conn.destroy();
  expect(dial.sentinels()[0]).toBe(group.sentinelAddresses[1]);
  expect([...dial.sentinels()].sort()).toEqual([...group.sentinelAddresses].sort());
});

it("fails fast with the sentinels' refusal when their password is wrong, never showing it", async () => {
  const dial = sentinelDial({
    sentinels: group.sentinelAddresses,
    masterName: group.masterName,
    password: passwords.node,
    sentinel: { password: 'not-the-sentinel-password' },
  });
  const started = Date.now();
  const error = await dial({ signal: new AbortController().signal }).catch((e: unknown) => e);
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(ReplyError.is(error) && error.code).toBe('WRONGPASS');
  expect((error as Error).message).toContain(`(sentinel ${group.sentinelAddresses[0]})`);
  expect((error as Error).message).not.toContain('not-the-sentinel-password');
  // With no password at all, the sentinels say NOAUTH.
  const anonymous = sentinelDial({
    sentinels: group.sentinelAddresses,
    masterName: group.masterName,
  });
  const noAuth = await anonymous({ signal: new AbortController().signal }).catch((e: unknown) => e);
  expect(ReplyError.is(noAuth) && noAuth.code).toBe('NOAUTH');
});

it('follows a kill -9 of the master (RESP2): every call settles, writes resume on the promoted replica, the restarted old master never sees the app', async () => {
  const app = application(2);
  await app.subscriber.subscribe('ticks');
  const [replica] = group.replicas;
  if (replica === undefined) throw new Error('no replica');
  expect(await portOf(app.client)).toBe(group.master.port);
  const stopLoad = app.load();
  await new Promise((resolve) => setTimeout(resolve, 500));

  const killedAt = Date.now();
  await group.master.kill('SIGKILL');
  await until('promotion', async () => (await group.currentMasterPort()) === replica.port);
  const promotedAfterMs = Date.now() - killedAt;
  const publishedBefore = app.received.length;
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  // The old master comes back as a master with no data; the sentinels make it a replica.
  await group.master.restart('SIGKILL');
  const appOnOldMaster: string[] = [];
  await until(
    'the old master to become a replica',
    async () => {
      const clients = String(await nodeCommand(group.master.port, 'CLIENT', 'LIST'));
      appOnOldMaster.push(...clients.split('\n').filter((line) => line.includes(' name=app ')));
      const role = (await nodeCommand(group.master.port, 'ROLE')) as Buffer[];
      return String(role[0]) === 'slave';
    },
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const reports = await stopLoad();
  settledEveryCall('kill -9:', reports, { promotedAfterMs, gaps: app.gaps() });
  // Writes go to the promoted replica, from the client and from the pool, and none of the app's
  // connections reached the old master.
  expect(await portOf(app.client)).toBe(replica.port);
  const clientCount = await app.client.do('INCR', 'writes:client');
  const poolCount = await app.pool.do('INCR', 'writes:pool');
  expect(await nodeCommand(replica.port, 'MGET', 'writes:client', 'writes:pool')).toEqual([
    Buffer.from(String(clientCount)),
    Buffer.from(String(poolCount)),
  ]);
  expect(appOnOldMaster).toEqual([]);
  const failures = [...reports.writes!.failures.keys(), ...reports.poolWrites!.failures.keys()];
  expect(failures.filter((failure) => failure.includes('READONLY'))).toEqual([]);
  // The subscriber followed: it saw the gap and receives what is published after the failover.
  expect(app.gaps()).toBeGreaterThanOrEqual(1);
  expect(app.received.length).toBeGreaterThan(publishedBefore);
  await app.close();
}, 60_000);

it('follows SENTINEL FAILOVER (no crash, RESP3): calls settle, writes move to the new master', async () => {
  const app = application(3);
  await app.subscriber.subscribe('ticks');
  const from = await group.currentMasterPort();
  const to = from === group.master.port ? group.replicas[0]!.port : group.master.port;
  const stopLoad = app.load();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const startedAt = Date.now();
  await until(
    'SENTINEL FAILOVER to be accepted',
    async () => {
      const raw = await openRawClient(group.sentinels[0]!.port);
      try {
        await raw.call('AUTH', passwords.sentinel);
        const reply = await raw.call('SENTINEL', 'FAILOVER', group.masterName);
        return !(reply instanceof Error);
      } finally {
        raw.close();
      }
    },
    15_000,
  );
  await until('the switch', async () => (await group.currentMasterPort()) === to);
  const switchedAfterMs = Date.now() - startedAt;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const reports = await stopLoad();
  settledEveryCall('SENTINEL FAILOVER:', reports, { switchedAfterMs, gaps: app.gaps() });
  expect(await portOf(app.client)).toBe(to);
  await until(
    'the pool to write to the new master',
    async () => {
      return (await app.pool.use((conn) => portOf(conn))) === to;
    },
    5_000,
  );
  await app.close();
}, 60_000);
