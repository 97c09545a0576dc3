// Review A: the natMap option. README: natMap "turns the addresses nodes report (in CLUSTER
// SLOTS, MOVED, ASK) into reachable ones".
//
// A real cluster whose nodes announce a client port other than their own (cluster-announce-port):
// CLUSTER SLOTS, MOVED and ASK all report it. Behind a NAT that address is unreachable; here a
// trap listens there. It forwards the replicas' links (they follow the announced port), and
// counts and cuts any connection that carries a client's GET or ASKING: for a client, the
// announced address does not work. The natMap turns each announced address into the node's real
// one, so no client command should ever reach a trap.
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, keySlot } from '../../src/index.js';
import { otherMaster } from './helpers.js';

const suite = useRedisCluster();
const traps: Server[] = [];
let trapped = 0;
const natMap: Record<string, string> = {};

beforeAll(async () => {
  for (const node of suite.cluster.nodes) {
    const trap = createServer((socket) => {
      const upstream = connect(node.port, '127.0.0.1');
      let counted = false;
      socket.on('data', (chunk) => {
        if (!counted && /\r\n(GET|ASKING)\r\n/i.test(chunk.toString('latin1'))) {
          counted = true;
          trapped++;
          socket.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(socket);
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    traps.push(trap);
    const announced = (trap.address() as AddressInfo).port;
    natMap[`127.0.0.1:${announced}`] = `127.0.0.1:${node.port}`;
    await suite.cluster.call(node, 'CONFIG', 'SET', 'cluster-announce-port', String(announced));
  }
  // Every node reports the announced ports (gossip carries them).
  const announcedPorts = Object.keys(natMap).map((address) => Number(address.split(':')[1]));
  for (let tries = 0; ; tries++) {
    const slots = JSON.stringify(
      await Promise.all(
        suite.cluster.nodes.map((node) => suite.cluster.call(node, 'CLUSTER', 'SLOTS')),
      ),
    );
    if (suite.cluster.nodes.every((node) => !slots.includes(`,${node.port},`))) break;
    if (tries > 100) throw new Error(`announced ports not gossiped: ${slots} ${announcedPorts}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => {
  // The cluster is stopped after this: the replicas' links through the traps go with it.
  for (const trap of traps) trap.close();
});

describe('natMap and redirects', () => {
  it('a MOVED reply is mapped (with the next map refresh a while away)', async () => {
    // Only a map refresh, which MOVED asks for, rescues a call sent to the unmapped address; a
    // minimum interval between refreshes (here after one refresh a second ago) exposes it.
    const cluster = await Cluster.connect({
      seeds: suite.cluster.seeds,
      natMap,
      minRefreshIntervalMs: 60_000,
    });
    await cluster.refresh();
    try {
      const key = 'nat:{m1}';
      await cluster.do('SET', key, 'value');
      const before = trapped;
      const slot = keySlot(key);
      const from = await suite.cluster.nodeForSlot(slot);
      await suite.cluster.migrateSlot(slot, from, await otherMaster(suite.cluster, from));
      // The client's map still names `from`, which answers MOVED <announced address of `to`>.
      const outcome = await cluster.doWith({ timeoutMs: 3_000 }, 'GET', key).then(
        (reply) => ({ reply: String(reply) }),
        (error: unknown) => ({ error: (error as Error).name }),
      );
      expect({ outcome, trapped: trapped - before }).toEqual({
        outcome: { reply: 'value' },
        trapped: 0,
      });
    } finally {
      cluster.destroy();
    }
  });

  it('an ASK reply is mapped: a key already moved mid-migration is read through the NAT', async () => {
    const cluster = await Cluster.connect({ seeds: suite.cluster.seeds, natMap });
    const moved = 'nat:{a1}:moved';
    const slot = keySlot(moved);
    const from = await suite.cluster.nodeForSlot(slot);
    const to = await otherMaster(suite.cluster, from);
    try {
      await cluster.do('SET', moved, 'value');
      await suite.cluster.beginMigration(slot, from, to, { keys: [moved] });
      const before = trapped;
      // ASK names `to` by its announced address: ASKING and GET must go to its real one.
      const outcome = await cluster.doWith({ timeoutMs: 3_000 }, 'GET', moved).then(
        (reply) => ({ reply: String(reply) }),
        (error: unknown) => ({ error: (error as Error).name }),
      );
      expect({ outcome, trapped: trapped - before }).toEqual({
        outcome: { reply: 'value' },
        trapped: 0,
      });
    } finally {
      cluster.destroy();
      await suite.cluster.finishMigration(slot, from, to);
    }
  });
});
