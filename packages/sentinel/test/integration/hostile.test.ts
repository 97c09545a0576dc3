import { createServer } from 'node:net';
import { createClient } from '@x/client';
import { ConnectionError } from '@x/conn';
import { ReplyError } from '@x/resp';
import { openRawClient, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { SentinelError, sentinelDial } from '../../src/index.js';
import { type FakeSentinel, startFakeSentinel } from './fake-sentinel.js';
import { portOf } from './node-port.js';

// Real data nodes (X master, Y its replica); scripted sentinels that lie, hang or go away.
let x: RedisServer;
let y: RedisServer;
const fakes: FakeSentinel[] = [];
const at = (server: RedisServer) => ({ host: server.host, port: server.port });

beforeAll(async () => {
  x = await startRedisServer();
  y = await startRedisServer({ args: ['--replicaof', '127.0.0.1', '0'] });
  await command(y, 'REPLICAOF', x.host, String(x.port));
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

afterAll(async () => {
  await Promise.all([x?.stop(), y?.stop()]);
});

async function command(server: RedisServer, ...args: string[]) {
  const raw = await openRawClient(server.port);
  try {
    return await raw.call(...args);
  } finally {
    raw.close();
  }
}

async function fake(state: Parameters<typeof startFakeSentinel>[0]) {
  const sentinel = await startFakeSentinel(state);
  fakes.push(sentinel);
  return sentinel;
}

/** A port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

it('survives a sentinel that lies (names the replica): ROLE catches it, the honest one moves first', async () => {
  const liar = await fake({ master: at(y), replicas: [] });
  const honest = await fake({ master: at(x), replicas: [] });
  const dial = sentinelDial({ sentinels: [liar.address, honest.address], masterName: 'mymaster' });
  const real = await dial({ signal: new AbortController().signal });
  expect(await portOf(real)).toBe(x.port);
  expect(dial.sentinels()[0]).toBe(honest.address);
  real.destroy();
});

it('survives sentinels that are down or hung, each bounded by sentinel.timeoutMs', async () => {
  const hung = await fake({ master: at(x), replicas: [], silent: true });
  const honest = await fake({ master: at(x), replicas: [] });
  const down = `127.0.0.1:${await closedPort()}`;
  const dial = sentinelDial({
    sentinels: [down, hung.address, honest.address],
    masterName: 'mymaster',
    sentinel: { timeoutMs: 300 },
  });
  const started = Date.now();
  const conn = await dial({ signal: new AbortController().signal });
  const tookMs = Date.now() - started;
  expect(await portOf(conn)).toBe(x.port);
  expect(tookMs).toBeGreaterThanOrEqual(250);
  expect(tookMs).toBeLessThan(2_000);
  expect(dial.sentinels()).toEqual([honest.address, down, hung.address]);
  conn.destroy();
});

it('fails with a SentinelError that names every attempt when no sentinel helps, within connectTimeoutMs', async () => {
  const liar = await fake({ master: at(y), replicas: [] });
  const stranger = await fake({ master: null, replicas: [] });
  const nonsense = await fake({ master: null, replicas: [], garbage: 42 });
  const dial = sentinelDial({
    sentinels: [liar.address, stranger.address, nonsense.address],
    masterName: 'mymaster',
    connectTimeoutMs: 800,
  });
  const started = Date.now();
  const error = await dial({ signal: new AbortController().signal }).catch((e: unknown) => e);
  const tookMs = Date.now() - started;
  expect(error).toBeInstanceOf(SentinelError);
  expect(ConnectionError.is(error)).toBe(true);
  const message = (error as SentinelError).message;
  expect(message).toContain('found no master "mymaster" within 800 ms');
  expect(message).toContain(`127.0.0.1:${y.port} (named by ${liar.address}): ROLE says slave`);
  expect(message).toContain(`${stranger.address}: does not know a master named "mymaster"`);
  expect(message).toContain(`${nonsense.address}: the sentinel answered`);
  expect(tookMs).toBeGreaterThanOrEqual(750);
  expect(tookMs).toBeLessThan(2_000);
});

it("rejects with the caller's reason at once when the caller's signal aborts during a lookup", async () => {
  const hung = await fake({ master: at(x), replicas: [], silent: true });
  const dial = sentinelDial({ sentinels: [hung.address], masterName: 'mymaster' });
  const controller = new AbortController();
  const reason = new Error('caller gave up');
  setTimeout(() => controller.abort(reason), 100);
  const started = Date.now();
  await expect(dial({ signal: controller.signal })).rejects.toBe(reason);
  expect(Date.now() - started).toBeLessThan(500);
});

it('finds a replica on request, skipping replicas a sentinel marks down or unlinked', async () => {
  const sentinel = await fake({
    master: at(x),
    replicas: [
      { ...at(x), flags: 'slave,s_down' },
      { host: '127.0.0.1', port: await closedPort(), link: 'err' },
      at(y),
    ],
  });
  const dial = sentinelDial({
    sentinels: [sentinel.address],
    masterName: 'mymaster',
    role: 'replica',
  });
  const conn = await dial({ signal: new AbortController().signal });
  expect(await portOf(conn)).toBe(y.port);
  expect(String(((await conn.do('ROLE')) as Buffer[])[0])).toBe('slave');
  conn.destroy();
});

it('reconnects through the sentinels when the master answers READONLY (demoted under the client)', async () => {
  const z = await startRedisServer();
  try {
    const sentinel = await fake({ master: at(x), replicas: [] });
    const dial = sentinelDial({
      sentinels: [sentinel.address],
      masterName: 'mymaster',
      watchFailovers: false,
    });
    const client = createClient(dial);
    await client.do('SET', 'readonly:test', 'before');
    expect(await portOf(client)).toBe(x.port);

    // X becomes a replica of Z without a word to the client; the sentinel now names Z.
    await command(x, 'REPLICAOF', z.host, String(z.port));
    sentinel.state.master = at(z);
    const first = await client.do('SET', 'readonly:test', 'after').catch((e: unknown) => e);
    expect(ReplyError.is(first) && first.code === 'READONLY').toBe(true);
    const started = Date.now();
    let written = false;
    while (!written && Date.now() - started < 3_000) {
      written = await client.do('SET', 'readonly:test', 'after').then(
        () => true,
        () => false,
      );
    }
    expect(written).toBe(true);
    expect(await portOf(client)).toBe(z.port);
    await client.close();
  } finally {
    await command(x, 'REPLICAOF', 'NO', 'ONE');
    await command(y, 'REPLICAOF', x.host, String(x.port));
    await z.stop();
  }
});

it('drops connections to the old master at once on +switch-master, before any READONLY', async () => {
  const z = await startRedisServer();
  try {
    const sentinel = await fake({ master: at(x), replicas: [] });
    const dial = sentinelDial({ sentinels: [sentinel.address], masterName: 'mymaster' });
    const client = createClient(dial);
    expect(await portOf(client)).toBe(x.port);
    // The watch subscribes in the background; wait until it has.
    const subscribedBy = Date.now() + 2_000;
    while (!sentinel.connections.some((c) => c.commands.some((cmd) => cmd[0] === 'SUBSCRIBE'))) {
      if (Date.now() > subscribedBy) throw new Error('the failover watch never subscribed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const statuses: string[] = [];
    client.onStatus((event) => statuses.push(event.status));
    sentinel.state.master = at(z);
    sentinel.announceSwitch(`mymaster ${x.host} ${x.port} ${z.host} ${z.port}`);
    const reconnectedBy = Date.now() + 2_000;
    while (!statuses.includes('ready')) {
      if (Date.now() > reconnectedBy) throw new Error(`no reconnect: ${statuses.join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statuses[0]).toBe('reconnecting');
    expect(await portOf(client)).toBe(z.port);
    // A switch of another master changes nothing.
    sentinel.announceSwitch(`othermaster ${z.host} ${z.port} ${x.host} ${x.port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statuses).toEqual(['reconnecting', 'ready']);
    await client.close();
  } finally {
    await z.stop();
  }
});

it("fails fast with the node's refusal (password never shown) when no node accepts the credentials", async () => {
  const locked = await startRedisServer({ args: ['--requirepass', 'right-password'] });
  try {
    const sentinel = await fake({ master: at(locked), replicas: [] });
    const dial = sentinelDial({
      sentinels: [sentinel.address],
      masterName: 'mymaster',
      password: 'wrong-password',
    });
    const started = Date.now();
    const error = await dial({ signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(500);
    expect(ReplyError.is(error) && error.code).toBe('WRONGPASS');
    expect((error as Error).message).toContain(
      `127.0.0.1:${locked.port} (named by ${sentinel.address})`,
    );
    expect((error as Error).message).not.toContain('wrong-password');

    // A client fails its calls at once rather than after offlineWaitMs.
    const client = createClient(dial, { offlineWaitMs: 10_000 });
    const callStarted = Date.now();
    const failure = await client.do('PING').catch((e: unknown) => e);
    expect(Date.now() - callStarted).toBeLessThan(1_000);
    expect(ConnectionError.is(failure) && failure.code).toBe('ERR_HANDSHAKE');
    client.destroy();
  } finally {
    await locked.stop();
  }
});

it('a liar naming a server with other credentials does not stop the honest sentinel being heard', async () => {
  const locked = await startRedisServer({ args: ['--requirepass', 'someone-else'] });
  try {
    const liar = await fake({ master: at(locked), replicas: [] });
    const honest = await fake({ master: at(x), replicas: [] });
    const dial = sentinelDial({
      sentinels: [liar.address, honest.address],
      masterName: 'mymaster',
    });
    const conn = await dial({ signal: new AbortController().signal });
    expect(await portOf(conn)).toBe(x.port);
    conn.destroy();
  } finally {
    await locked.stop();
  }
});

it("takes the sentinel's word when the node's ACL refuses ROLE (NOPERM)", async () => {
  await command(x, 'ACL', 'SETUSER', 'no-role', 'on', '>no-role-pw', '~*', '+@all', '-role');
  try {
    const sentinel = await fake({ master: at(x), replicas: [] });
    const dial = sentinelDial({
      sentinels: [sentinel.address],
      masterName: 'mymaster',
      username: 'no-role',
      password: 'no-role-pw',
    });
    const conn = await dial({ signal: new AbortController().signal });
    await expect(conn.do('ROLE')).rejects.toThrow(/NOPERM/);
    expect(await portOf(conn)).toBe(x.port);
    conn.destroy();
  } finally {
    await command(x, 'ACL', 'DELUSER', 'no-role');
  }
});
