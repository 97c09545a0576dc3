// Redirects produced on demand on a real cluster: MOVED after a slot moved under the client, ASK
// and TRYAGAIN mid-migration, and a slot range resharded while writes run.

import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { ReplyError } from '@x/resp';
import { type ClusterNode as ServerNode, startFakeServer, useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ClusterRoutingError, keySlot } from '../../src/index.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds, retryWaitMs: 5_000 });
});
afterAll(async () => {
  await cluster?.close();
});

/** A master other than `node`. */
async function otherMaster(node: ServerNode): Promise<ServerNode> {
  const masters = await suite.cluster.masters();
  return masters.find((each) => each.id !== node.id) as ServerNode;
}

function ownerInMap(slot: number): string | undefined {
  return cluster
    .nodes()
    .find(
      (node) =>
        node.role === 'master' && node.slots.some(([first, last]) => first <= slot && slot <= last),
    )?.address;
}

describe('MOVED', () => {
  it('follows a slot that moved under the client, and refreshes its map', async () => {
    const key = 'moved:{m1}';
    const slot = keySlot(key);
    await cluster.do('SET', key, 'before');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(from);
    await suite.cluster.migrateSlot(slot, from, to);
    // The client still believes `from`: the call meets MOVED and goes on to `to`.
    expect(ownerInMap(slot)).toBe(`${from.host}:${from.port}`);
    expect(String(await cluster.do('GET', key))).toBe('before');
    expect(await cluster.do('SET', key, 'after')).toBe('OK');
    expect(String(await suite.cluster.call(to, 'GET', key))).toBe('after');
    await cluster.refresh();
    expect(ownerInMap(slot)).toBe(`${to.host}:${to.port}`);
  });
});

describe('exclusive() after a move', () => {
  it('fails with MOVED once, re-points the slot, and the next exclusive() finds the new master', async () => {
    const key = 'moved:{x1}';
    const slot = keySlot(key);
    await cluster.do('SET', key, 'here');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(from);
    await suite.cluster.migrateSlot(slot, from, to);
    await expect(cluster.exclusive(key, (conn) => conn.do('GET', key))).rejects.toMatchObject({
      code: 'MOVED',
    });
    expect(String(await cluster.exclusive(key, (conn) => conn.do('GET', key)))).toBe('here');
  });
});

describe('ASK and TRYAGAIN mid-migration', () => {
  it('ASKING then the command on the target for a key already moved; the map stays', async () => {
    const moved = 'ask:{a1}:moved';
    const stays = 'ask:{a1}:stays';
    const slot = keySlot(moved);
    await cluster.do('SET', moved, 'm');
    await cluster.do('SET', stays, 's');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(from);
    await suite.cluster.beginMigration(slot, from, to, { keys: [moved] });
    try {
      expect(String(await cluster.do('GET', moved))).toBe('m');
      expect(String(await cluster.do('GET', stays))).toBe('s');
      // ASK is for one command: the map still says `from`.
      expect(ownerInMap(slot)).toBe(`${from.host}:${from.port}`);
      // A multi-key command over a moved and an unmoved key is TRYAGAIN until the move ends.
      const started = performance.now();
      const pending = cluster.do('MGET', moved, stays);
      setTimeout(() => void suite.cluster.finishMigration(slot, from, to), 300);
      const values = (await pending) as unknown[];
      expect(values.map(String)).toEqual(['m', 's']);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await suite.cluster.waitUntilStable();
    }
  });

  it('gives up on TRYAGAIN after retryWaitMs, naming every node tried', async () => {
    const impatient = await Cluster.connect({ seeds: suite.cluster.seeds, retryWaitMs: 400 });
    const moved = 'try:{t1}:moved';
    const stays = 'try:{t1}:stays';
    const slot = keySlot(moved);
    await impatient.do('MSET', moved, '1', stays, '2');
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(from);
    await suite.cluster.beginMigration(slot, from, to, { keys: [moved] });
    try {
      const error = await impatient.do('MGET', moved, stays).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClusterRoutingError);
      const routing = error as ClusterRoutingError;
      expect(routing.code).toBe('ERR_CLUSTER_UNAVAILABLE');
      expect(routing.attempts.some((attempt) => attempt.outcome.startsWith('TRYAGAIN'))).toBe(true);
      // The source answers TRYAGAIN itself: it holds one of the keys, so it cannot say ASK.
      expect(
        routing.attempts.every((attempt) => attempt.node === `${from.host}:${from.port}`),
      ).toBe(true);
      expect(routing.attempts.length).toBeGreaterThan(2);
      expect(routing.message).toContain(`${from.host}:${from.port} (TRYAGAIN`);
    } finally {
      await suite.cluster.finishMigration(slot, from, to);
      await impatient.close();
    }
  });
});

describe('resharding under load', () => {
  it('moves 40 slots while writes run (10,000 at least): none lost, none failed', async () => {
    // Keys in the first slots of one master, so that moving them matters to the writes.
    const from = await suite.cluster.nodeForSlot(100);
    const to = await otherMaster(from);
    const slots = Array.from({ length: 40 }, (_, index) => 100 + index);
    const keysBySlot = new Map<number, string>();
    for (let index = 0; keysBySlot.size < slots.length; index++) {
      const key = `reshard:${index}`;
      const slot = keySlot(key);
      if (slot >= 100 && slot < 140 && !keysBySlot.has(slot)) keysBySlot.set(slot, key);
    }
    const keys = [...keysBySlot.values()];
    const errors: unknown[] = [];
    let written = 0;
    let moving = true;
    let issued = 0;
    const writes = (async () => {
      const inFlight = new Set<Promise<unknown>>();
      for (let index = 0; index < 10_000 || moving; index++) {
        issued++;
        const key = keys[index % keys.length] as string;
        const write = cluster.do('RPUSH', key, index).then(
          () => {
            written++;
          },
          (error: unknown) => errors.push(error),
        );
        inFlight.add(write);
        void write.finally(() => inFlight.delete(write));
        if (inFlight.size >= 50) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const slot of slots) await suite.cluster.migrateSlot(slot, from, to, { keysBatch: 10 });
    // The writes ran under every move: they go on until the last one ends.
    moving = false;
    await writes;
    expect(errors).toEqual([]);
    expect(issued).toBeGreaterThanOrEqual(10_000);
    expect(written).toBe(issued);
    const lengths = await Promise.all(keys.map((key) => cluster.do('LLEN', key)));
    expect(lengths.reduce((sum: number, length) => sum + (length as number), 0)).toBe(issued);
    // Each list holds its own writes exactly once (order across a redirect is not promised).
    const first = ((await cluster.do('LRANGE', keys[0] as string, 0, -1)) as unknown[]).map(Number);
    expect(first.sort((a, b) => a - b)).toEqual(
      Array.from({ length: first.length }, (_, index) => index * keys.length),
    );
  }, 60_000);
});

describe('a redirect loop', () => {
  it('stops after maxRedirects with an error naming each node and what it said', async () => {
    // Two nodes that each say the other owns every slot: a real cluster settles such a
    // disagreement within a gossip round, so only a scripted server can hold it.
    let other = 0;
    const serve = (port: () => number) => (command: string[]) => {
      const name = command[0]?.toUpperCase();
      if (name === 'CLUSTER') return [[0, 16_383, ['127.0.0.1', port(), 'id']]];
      if (name === 'COMMAND') return [];
      if (name === 'PING') return 'PONG';
      return new ReplyError(`MOVED 1 127.0.0.1:${other}`);
    };
    const a = await startFakeServer({ onCommand: serve(() => a.port) });
    const b = await startFakeServer({
      onCommand: (command) => {
        const name = command[0]?.toUpperCase();
        if (name === 'CLUSTER') return [[0, 16_383, ['127.0.0.1', a.port, 'id']]];
        if (name === 'PING') return 'PONG';
        return new ReplyError(`MOVED 1 127.0.0.1:${a.port}`);
      },
    });
    other = b.port;
    const looping = await Cluster.connect({ seeds: [a.url], maxRedirects: 3 });
    try {
      const error = await looping.do('GET', 'x').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClusterRoutingError);
      const routing = error as ClusterRoutingError;
      expect(routing.code).toBe('ERR_TOO_MANY_REDIRECTS');
      expect(routing.attempts).toHaveLength(4);
      expect(routing.attempts.map((attempt) => attempt.node)).toEqual([
        `127.0.0.1:${a.port}`,
        `127.0.0.1:${b.port}`,
        `127.0.0.1:${a.port}`,
        `127.0.0.1:${b.port}`,
      ]);
      expect(routing.message).toContain(`MOVED 1 127.0.0.1:${a.port}`);
    } finally {
      looping.destroy();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

/** CLUSTER SLOTS calls served so far, over every node. */
async function clusterSlotsCalls(): Promise<number> {
  let calls = 0;
  for (const node of suite.cluster.nodes) {
    const stats = String(await suite.cluster.call(node, 'INFO', 'commandstats'));
    const match = /cmdstat_cluster\|slots:calls=(\d+)/.exec(stats);
    calls += match === null ? 0 : Number(match[1]);
  }
  return calls;
}

describe('topology refresh', () => {
  it('2,000 calls meeting MOVED at once cause a couple of refreshes, not a storm', async () => {
    const key = 'storm:{s1}';
    const slot = keySlot(key);
    await cluster.do('SET', key, 'calm');
    // A client of its own: no refresh of an earlier test can be in flight and learn the move.
    const fresh = await Cluster.connect({ seeds: suite.cluster.seeds });
    try {
      const from = await suite.cluster.nodeForSlot(slot);
      await suite.cluster.migrateSlot(slot, from, await otherMaster(from));
      const owner = fresh
        .nodes()
        .find(
          (node) => node.role === 'master' && node.slots.some(([a, b]) => a <= slot && slot <= b),
        );
      expect(owner?.address).toBe(`${from.host}:${from.port}`);
      const before = await clusterSlotsCalls();
      const started = performance.now();
      const replies = await Promise.all(Array.from({ length: 2_000 }, () => fresh.do('GET', key)));
      const movedForMs = performance.now() - started;
      expect(replies.every((reply) => String(reply) === 'calm')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let a queued refresh finish
      const refreshes = (await clusterSlotsCalls()) - before;
      expect(refreshes).toBeGreaterThanOrEqual(1);
      // At most one refresh per minRefreshIntervalMs (100 ms) while MOVED replies keep coming,
      // plus the one queued behind: 3 on a quiet machine, where the 2,000 replies come within
      // 100 ms; a run beside five other test projects once counted more. A storm is hundreds.
      expect(refreshes).toBeLessThanOrEqual(3 + Math.floor(movedForMs / 100));
    } finally {
      await fresh.close();
    }
  });

  it('refreshes every refreshIntervalMs with no call asking', async () => {
    const watcher = await Cluster.connect({ seeds: suite.cluster.seeds, refreshIntervalMs: 200 });
    try {
      const slot = keySlot('periodic:{p1}');
      const from = await suite.cluster.nodeForSlot(slot);
      const to = await otherMaster(from);
      await suite.cluster.migrateSlot(slot, from, to);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const owner = watcher
        .nodes()
        .find(
          (node) =>
            node.role === 'master' &&
            node.slots.some(([first, last]) => first <= slot && slot <= last),
        );
      expect(owner?.address).toBe(`${to.host}:${to.port}`);
    } finally {
      await watcher.close();
    }
  });

  it('reaches nodes through the NAT map: every connection goes to the mapped address', async () => {
    // A forwarder per master stands in for a NAT: the cluster reports the real ports, which the
    // client must not use.
    const masters = await suite.cluster.masters();
    const forwarded = new Map<number, number>();
    const accepted = new Map<number, number>();
    const forwarders = await Promise.all(
      masters.map(
        (node) =>
          new Promise<Server>((resolve) => {
            const server = createServer((socket) => {
              accepted.set(node.port, (accepted.get(node.port) ?? 0) + 1);
              const upstream = connect(node.port, '127.0.0.1');
              socket.pipe(upstream).pipe(socket);
              socket.on('error', () => upstream.destroy());
              upstream.on('error', () => socket.destroy());
            });
            server.listen(0, '127.0.0.1', () => {
              forwarded.set(node.port, (server.address() as AddressInfo).port);
              resolve(server);
            });
          }),
      ),
    );
    const natMap = (reported: { host: string; port: number }) => ({
      host: '127.0.0.1',
      port: forwarded.get(reported.port) ?? reported.port,
    });
    const behindNat = await Cluster.connect({
      seeds: [`127.0.0.1:${forwarded.get(masters[0]?.port ?? 0)}`],
      natMap,
    });
    try {
      const keys = Array.from({ length: 30 }, (_, index) => `nat:${index}`);
      await behindNat.do('MSET', ...keys.flatMap((key) => [key, key]));
      expect(((await behindNat.do('MGET', ...keys)) as Buffer[]).map(String)).toEqual(keys);
      const addresses = behindNat
        .nodes()
        .filter((node) => node.role === 'master')
        .map((node) => node.address);
      expect(addresses.sort()).toEqual(
        [...forwarded.values()].map((port) => `127.0.0.1:${port}`).sort(),
      );
      for (const node of masters) expect(accepted.get(node.port) ?? 0).toBeGreaterThan(0);
      // A MOVED names the node's real address: it must go through the map too, to the client
      // that already reaches `to` through its forwarder, with no new connection to `to`.
      const key = 'nat:{moved}';
      const slot = keySlot(key);
      await behindNat.do('SET', key, 'through');
      const from = await suite.cluster.nodeForSlot(slot);
      const to = await otherMaster(from);
      await suite.cluster.migrateSlot(slot, from, to);
      const received = async () =>
        Number(
          /total_connections_received:(\d+)/.exec(
            String(await suite.cluster.call(to, 'INFO', 'stats')),
          )?.[1],
        );
      const before = await received();
      expect(String(await behindNat.do('GET', key))).toBe('through');
      // Only the INFO call's own connection is new.
      expect(await received()).toBe(before + 1);
    } finally {
      await behindNat.close();
      for (const server of forwarders) server.close();
    }
  });
});
