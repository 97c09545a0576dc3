// Shared helpers for review A's tests: keys on a given node, a TCP forwarder that can stop
// passing replies (a network partition on the return path), and CLUSTER SLOTS counts.
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type { RedisCluster, ClusterNode as ServerNode } from '@x/test-redis';
import { keySlot } from '../../src/index.js';

/** A key with `prefix` whose slot `node` serves (asked of the server). */
export async function keyOn(
  cluster: RedisCluster,
  node: ServerNode,
  prefix: string,
  skip = 0,
): Promise<string> {
  let found = 0;
  for (let index = 0; index < 100_000; index++) {
    const key = `${prefix}:${index}`;
    if ((await cluster.nodeForSlot(keySlot(key))).id !== node.id) continue;
    if (found++ === skip) return key;
  }
  throw new Error(`no key with prefix ${prefix} on ${node.port}`);
}

/** A master other than `node`. */
export async function otherMaster(cluster: RedisCluster, node: ServerNode): Promise<ServerNode> {
  const masters = await cluster.masters();
  const other = masters.find((each) => each.id !== node.id);
  if (other === undefined) throw new Error('no other master');
  return other;
}

/** The replica of `master`. */
export async function replicaOf(cluster: RedisCluster, master: ServerNode): Promise<ServerNode> {
  for (const node of await cluster.replicas()) {
    const info = String(await cluster.call(node, 'INFO', 'replication'));
    if (info.includes(`master_port:${master.port}`)) return node;
  }
  throw new Error(`no replica of ${master.port}`);
}

/** CLUSTER SLOTS calls served so far by every node that answers. */
export async function clusterSlotsCalls(cluster: RedisCluster): Promise<number> {
  let calls = 0;
  for (const node of cluster.nodes) {
    const stats = String(await cluster.call(node, 'INFO', 'commandstats').catch(() => ''));
    const match = /cmdstat_cluster\|slots:calls=(\d+)/.exec(stats);
    calls += match === null ? 0 : Number(match[1]);
  }
  return calls;
}

/** A forwarder to a real node on 127.0.0.1; `blackhole()` drops every reply from then on. */
export interface Forwarder {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** From now on, bytes from the server are read and thrown away (the client hears nothing). */
  blackhole(): void;
  close(): Promise<void>;
}

export async function startForwarder(targetPort: number): Promise<Forwarder> {
  let dropping = false;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(socket);
    sockets.add(upstream);
    socket.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (!dropping) socket.write(chunk);
    });
    const end = () => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', end);
    socket.on('close', end);
    upstream.on('error', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    blackhole() {
      dropping = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Settles `promise` or reports that it was still pending after `ms`. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'pending' }
> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ status: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
