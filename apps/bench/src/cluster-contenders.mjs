// The cluster clients of `pnpm --filter @x/bench cluster`, one adapter each, so that every
// scenario runs the same code against each: set, get and close, all connected to one cluster.
import { keySlot, Cluster as XCluster } from '@x/cluster';
import { Cluster as IoredisCluster } from 'ioredis';
import { createCluster } from 'redis';

/** The contenders' ids, in table order; `--clients` picks some of them. */
export const contenderIds = ['x', 'ioredis', 'ioredis-auto', 'node-redis'];

/**
 * Connects each chosen client to the cluster seeded at `seed` (a redis:// URL) and waits until it
 * has the slot map; default options except node-redis's command timeout. GET returns Buffers on
 * @x/cluster and ioredis (getBuffer), strings on node-redis, which offers nothing else.
 */
export async function connectClusterClients(seed, chosen = contenderIds) {
  const { hostname: host, port: portText } = new URL(seed);
  const port = Number(portText);
  const contenders = [];
  if (chosen.includes('x')) {
    const cluster = await XCluster.connect({ seeds: [seed] });
    contenders.push({
      id: 'x',
      name: '@x/cluster',
      set: (key, value) => cluster.do('SET', key, value),
      get: (key) => cluster.do('GET', key),
      close: () => cluster.close(),
      cluster,
    });
  }
  for (const auto of [false, true]) {
    if (!chosen.includes(auto ? 'ioredis-auto' : 'ioredis')) continue;
    const cluster = new IoredisCluster([{ host, port }], { enableAutoPipelining: auto });
    await new Promise((resolve, reject) => {
      cluster.once('ready', resolve);
      cluster.once('error', reject);
    });
    contenders.push({
      id: auto ? 'ioredis-auto' : 'ioredis',
      name: auto ? 'ioredis Cluster (auto-pipelining)' : 'ioredis Cluster',
      set: (key, value) => cluster.set(key, value),
      get: (key) => cluster.getBuffer(key),
      close: () => cluster.quit(),
      cluster,
    });
  }
  if (chosen.includes('node-redis')) {
    // node-redis 6 arms a 5 s timer per command by default (the others arm none): with 100,000
    // commands in flight on this machine most of them expired before their turn and were never
    // sent. Off, as in the other clients.
    const cluster = await createCluster({
      rootNodes: [{ url: seed }],
      commandOptions: { timeout: 0 },
    }).connect();
    contenders.push({
      id: 'node-redis',
      name: 'node-redis createCluster (no command timeout)',
      set: (key, value) => cluster.set(key, value),
      get: (key) => cluster.get(key),
      close: () => cluster.close(),
      cluster,
    });
  }
  return contenders;
}

/**
 * The ways each client offers to send a batch of 1,000 commands whose keys live on every master.
 * Each `run(commands)` resolves to one reply (or error) per command, in order, or rejects when
 * the client refuses the batch as a whole. `commands` are `['SET', key, value]` and
 * `['GET', key]`.
 */
export function pipelineContenders(contenders) {
  const rows = [];
  for (const contender of contenders) {
    const { cluster } = contender;
    if (contender.id === 'x') {
      rows.push({
        id: 'x-pipeline',
        name: '@x/cluster: pipeline() + receiveAll()',
        run: (commands) => {
          const pipeline = cluster.pipeline();
          for (const command of commands) pipeline.send(...command);
          return pipeline.receiveAll();
        },
      });
      rows.push({
        id: 'x-all',
        name: '@x/cluster: Promise.allSettled of the commands',
        run: (commands) => settleAll(commands, contender),
      });
    }
    if (contender.id === 'ioredis') {
      rows.push({
        id: 'ioredis-pipeline',
        name: 'ioredis Cluster: pipeline().exec()',
        run: async (commands) => pairsToReplies(await ioredisPipeline(cluster, commands)),
      });
      rows.push({
        id: 'ioredis-per-master',
        name: 'ioredis Cluster: one pipeline().exec() per master, keys grouped by the caller',
        run: (commands) => ioredisPerMaster(cluster, commands),
      });
    }
    if (contender.id === 'ioredis-auto') {
      rows.push({
        id: 'ioredis-auto-all',
        name: 'ioredis Cluster (auto-pipelining): Promise.allSettled of the commands',
        run: (commands) => settleAll(commands, contender),
      });
    }
    if (contender.id === 'node-redis') {
      rows.push({
        id: 'node-redis-all',
        name: 'node-redis createCluster: Promise.allSettled of the commands',
        run: (commands) => settleAll(commands, contender),
      });
      rows.push({
        id: 'node-redis-multi',
        name: 'node-redis createCluster: multi().execAsPipeline()',
        run: (commands) => {
          const multi = cluster.multi();
          for (const [name, ...args] of commands)
            if (name === 'SET') multi.set(args[0], args[1]);
            else multi.get(args[0]);
          return multi.execAsPipeline();
        },
      });
    }
  }
  return rows;
}

/** Every command through the client's own set/get, all at once; errors become values. */
async function settleAll(commands, contender) {
  const pending = new Array(commands.length);
  for (let index = 0; index < commands.length; index++) {
    const [name, key, value] = commands[index];
    pending[index] = name === 'SET' ? contender.set(key, value) : contender.get(key);
  }
  const settled = await Promise.allSettled(pending);
  return settled.map((outcome) =>
    outcome.status === 'fulfilled' ? outcome.value : asError(outcome.reason),
  );
}

function ioredisPipeline(cluster, commands) {
  const pipeline = cluster.pipeline();
  for (const [name, key, value] of commands)
    if (name === 'SET') pipeline.set(key, value);
    else pipeline.getBuffer(key);
  return pipeline.exec();
}

/**
 * What an ioredis user has to write instead: group the commands by the master that serves each
 * key's slot (ioredis's own `cluster.slots` map), send one pipeline per master, put the replies
 * back in command order. The slot is computed with @x/cluster's keySlot (CRC16, as ioredis's
 * cluster-key-slot), inside the timed window.
 */
async function ioredisPerMaster(cluster, commands) {
  const groups = new Map();
  for (let index = 0; index < commands.length; index++) {
    const master = cluster.slots[keySlot(commands[index][1])]?.[0];
    let group = groups.get(master);
    if (group === undefined) {
      group = { indexes: [], commands: [] };
      groups.set(master, group);
    }
    group.indexes.push(index);
    group.commands.push(commands[index]);
  }
  const parts = [...groups.values()];
  const replies = new Array(commands.length);
  const results = await Promise.allSettled(
    parts.map((group) => ioredisPipeline(cluster, group.commands)),
  );
  results.forEach((result, part) => {
    const { indexes } = parts[part];
    const values =
      result.status === 'fulfilled'
        ? pairsToReplies(result.value)
        : indexes.map(() => asError(result.reason));
    indexes.forEach((at, index) => {
      replies[at] = values[index];
    });
  });
  return replies;
}

/** ioredis's `[error, reply]` pairs as one value each. */
function pairsToReplies(pairs) {
  return pairs.map(([error, reply]) => error ?? reply);
}

function asError(reason) {
  return reason instanceof Error ? reason : new Error(String(reason));
}
