// DEFECT: an exception from the caller's mapAddress leaks sockets. (1) When it throws for a
// sentinel reported by SENTINEL SENTINELS, the dial rejects with that raw error after it has
// connected to the master and checked ROLE: that node connection is never closed. (2) When it
// throws for the address in a +switch-master message, the failover watch takes it for a lost
// subscription and opens another one without destroying the first, which then outlives
// client.close() (a ref'd socket: the process cannot exit).
// A mapAddress that throws for an address it has no route for is a natural way to write one.
import { createClient } from '@x/client';
import { openRawClient, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { sleep, startReviewSentinel, until } from './helpers.js';

let x: RedisServer;
beforeAll(async () => {
  x = await startRedisServer();
});
afterAll(async () => {
  await x?.stop();
});

async function connectionsNamed(name: string): Promise<number> {
  const raw = await openRawClient(x.port);
  try {
    const list = String(await raw.call('CLIENT', 'LIST'));
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  } finally {
    raw.close();
  }
}

/** Maps the loopback addresses this test uses; anything else has no route. */
const onlyLoopback = ({ host, port }: { host: string; port: number }) => {
  if (host !== '127.0.0.1') throw new Error(`no route to ${host}`);
  return { host, port };
};

it('a mapAddress that throws for a reported sentinel leaves no node connection open', async () => {
  const sentinel = await startReviewSentinel(() => [x.host, String(x.port)]);
  sentinel.sentinels = () => [['name', 'far', 'ip', '10.9.9.9', 'port', '26379']];
  try {
    const dial = sentinelDial({
      sentinels: [sentinel.address],
      masterName: 'mymaster',
      clientName: 'leak-probe',
      watchFailovers: false,
      mapAddress: onlyLoopback,
    });
    const outcome = await dial({ signal: new AbortController().signal }).then(
      (conn) => {
        conn.destroy();
        return 'connected';
      },
      (error: unknown) => String(error),
    );
    await sleep(200);
    // Observed: outcome "Error: no route to 10.9.9.9", and 1 connection named leak-probe left open.
    expect(await connectionsNamed('leak-probe')).toBe(0);
    // Discovery only speeds later lookups (as `listed` says of a reply of another shape).
    expect(outcome).toBe('connected');
  } finally {
    await sentinel.close();
  }
});

it('a mapAddress that throws for a +switch-master address leaves no subscription open after close()', async () => {
  const sentinel = await startReviewSentinel(() => [x.host, String(x.port)]);
  try {
    const dial = sentinelDial({
      sentinels: [sentinel.address],
      masterName: 'mymaster',
      discoverSentinels: false,
      mapAddress: onlyLoopback,
    });
    const client = createClient(dial);
    await client.do('PING');
    await until('the watch to subscribe', () => sentinel.subscribed().length === 1);
    sentinel.announceSwitch(`mymaster 127.0.0.1 ${x.port} 10.1.1.1 6379`);
    await sleep(1_000);
    await client.close();
    await sleep(300);
    // Observed: 1 (the first subscription, abandoned when mapAddress threw, is still open).
    expect(sentinel.subscribed().length).toBe(0);
    expect(sentinel.open().length).toBe(0);
  } finally {
    await sentinel.close();
  }
});
