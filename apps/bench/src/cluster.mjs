#!/usr/bin/env node
// @x/cluster side by side with ioredis's Cluster (plain and with auto-pipelining) and node-redis's
// createCluster, in one process, against one real Redis Cluster (3 masters + 3 replicas) that the
// run starts with @x/test-redis and stops at the end, also on failure or Ctrl-C.
//   pnpm --filter @x/bench cluster [-- --quick] [--pin] [--only concurrent,batched,pipeline,sequential]
//                                  [--clients x,ioredis,ioredis-auto,node-redis] [--rounds N]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { startRedisCluster } from '@x/test-redis';
import { connectClusterClients, contenderIds, pipelineContenders } from './cluster-contenders.mjs';
import { makeKeys, pipelines, sequentialGets, setThenGet } from './cluster-scenarios.mjs';
import { median } from './measure.mjs';
import { pin } from './pin.mjs';

const scenarios = ['concurrent', 'batched', 'pipeline', 'sequential'];
const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    only: { type: 'string' },
    clients: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const chosen = flags.only ? flags.only.split(',') : scenarios;
const clients = flags.clients ? flags.clients.split(',') : contenderIds;
for (const [what, picked, known] of [
  ['scenario', chosen, scenarios],
  ['client', clients, contenderIds],
]) {
  const unknown = picked.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`bench: unknown ${what} ${unknown.join(', ')} (choose from ${known.join(', ')})`);
    process.exit(1);
  }
}
const quick = flags.quick;
const rounds = flags.rounds ? Number(flags.rounds) : quick ? 3 : 7;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: --rounds must be a whole number above 0, got ${flags.rounds}`);
  process.exit(1);
}
const sizes = quick
  ? { keys: 2_000, batch: 1_000, pipelines: 3, pipelineSize: 1_000, sequential: 200 }
  : { keys: 100_000, batch: 1_000, pipelines: 100, pipelineSize: 1_000, sequential: 5_000 };
const count = (value) => value.toLocaleString('en');

let redisCluster;
let contenders = [];
let stopping;
/** Closes the clients (5 s at most each), then stops every node of the cluster. */
function stopAll() {
  stopping ??= (async () => {
    await Promise.allSettled(
      contenders.map((contender) =>
        Promise.race([
          contender.close(),
          new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
        ]),
      ),
    );
    await redisCluster?.stop();
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping the cluster`);
    void stopAll().finally(() => process.exit(130));
  });

try {
  const pinned = flags.pin ? pin(process.pid, 1) : false;
  redisCluster = await startRedisCluster();
  if (pinned) for (const node of redisCluster.nodes) pin(node.server.pid, 0);
  await run(pinned);
} catch (error) {
  console.error('bench: failed:', error);
  process.exitCode = 1;
} finally {
  await stopAll();
}

async function run(pinned) {
  const keys = makeKeys(sizes.keys);
  const versions = ['ioredis', 'redis'].map(
    (name) =>
      JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url)))
        .version,
  );
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(
    /v=(\S+)/,
  )?.[1];
  const ports = redisCluster.nodes.map((node) => `${node.port} (${node.role})`).join(', ');
  console.log('# Cluster benchmark');
  console.log();
  console.log(
    `Machine: ${cpus()[0]?.model} (${cpus().length} cores), Node ${process.version}, Redis ${redisVersion}.`,
  );
  console.log(
    `Cluster: 3 masters + 3 replicas on 127.0.0.1, ports ${ports}. Clients: @x/cluster from this repository, ioredis ${versions[0]}, node-redis (\`redis\`) ${versions[1]}; each connects to the first master as its seed, with default options except node-redis's per-command timeout (5 s by default, off here as in the others).`,
  );
  console.log(
    `Each figure is the median of ${rounds} rounds after a warm-up round${quick ? ' (quick mode: small counts)' : ''}; contenders take turns round by round (order reversed every other round); collections only between turns. Values are 100 B, new each round; every reply is checked after the clock stops (errors: rejected calls; wrong: replies that are not what was SET), summed over all rounds including the warm-up.`,
  );
  console.log(
    pinned
      ? 'Pinned: the six redis-server processes on CPU 0, this process on CPU 1 (taskset).'
      : 'Not pinned (--pin puts the redis-servers and the clients on separate CPUs).',
  );
  console.log();

  contenders = await connectClusterClients(redisCluster.seeds[0], clients);
  if (chosen.includes('concurrent'))
    table(
      `(a) ${count(sizes.keys)} SETs issued at once, then ${count(sizes.keys)} GETs issued at once`,
      await takeTurns(contenders, (contender) => setThenGet(contender, keys, keys.length)),
    );
  if (chosen.includes('batched'))
    table(
      `(b) ${count(sizes.keys)} SETs then ${count(sizes.keys)} GETs, ${count(sizes.batch)} at a time (each batch awaited)`,
      await takeTurns(contenders, (contender) => setThenGet(contender, keys, sizes.batch)),
    );
  if (chosen.includes('pipeline')) {
    const rows = pipelineContenders(contenders);
    table(
      `(c) ${count(sizes.pipelines)} batches of ${count(sizes.pipelineSize)} commands (SET k, GET k pairs, keys on every master), each awaited`,
      await takeTurns(rows, (row) => pipelines(row, keys, sizes.pipelines, sizes.pipelineSize)),
      {
        unit: 'commands/s',
        reference: 'ioredis-per-master',
        latency: 'per batch',
      },
    );
  }
  if (chosen.includes('sequential'))
    table(
      `(d) ${count(sizes.sequential)} GETs one at a time (each awaited): the round-trip floor`,
      await takeTurns(contenders, (contender) => sequentialGets(contender, keys, sizes.sequential)),
    );
}

/**
 * Runs `round(contender)` for each contender: one warm-up each, then `rounds` rounds in which
 * they take turns, the order reversed every other round, so that a slow moment of the shared
 * machine falls on all alike. Collections (with --expose-gc) only between turns. Resolves to each
 * contender's median round by rate, the spread of the rates, and errors and wrong replies summed
 * over every round.
 */
async function takeTurns(entries, round) {
  const runs = entries.map(() => []);
  const totals = entries.map(() => ({
    errors: 0,
    wrong: 0,
    refused: undefined,
    firstError: undefined,
  }));
  const record = (turn, result, timed) => {
    totals[turn].errors += result.errors;
    totals[turn].wrong += result.wrong;
    totals[turn].refused ??= result.refused;
    totals[turn].firstError ??= result.firstError;
    if (timed) runs[turn].push(result);
  };
  for (const [turn, entry] of entries.entries()) record(turn, await round(entry), false);
  const order = entries.map((_, index) => index);
  for (let index = 0; index < rounds; index++)
    for (const turn of index % 2 === 0 ? order : [...order].reverse()) {
      globalThis.gc?.();
      record(turn, await round(entries[turn]), true);
    }
  return entries.map((entry, turn) => {
    const rates = runs[turn].map((run) => run.rate);
    const middle = median(rates);
    return {
      id: entry.id,
      name: entry.name,
      ...runs[turn].find((run) => run.rate === middle),
      ...totals[turn],
      low: Math.min(...rates),
      high: Math.max(...rates),
    };
  });
}

/** Prints one scenario's table: medians, ratios to ioredis (and to ioredis with auto-pipelining). */
function table(title, results, { unit = 'ops/s', reference, latency = 'per call' } = {}) {
  const references = reference
    ? [results.find((result) => result.id === reference)]
    : ['ioredis', 'ioredis-auto'].map((id) => results.find((result) => result.id === id));
  const usable = references.filter((result) => result !== undefined && result.rate > 0);
  const rate = (value) => count(Math.round(value));
  console.log(`## ${title}`);
  console.log();
  const latencies = results.some((result) => result.p50Ms !== undefined);
  const heads = [
    'client',
    unit,
    ...usable.map((result) => `vs ${result.name}`),
    'rounds min to max',
    ...(latencies ? [`p50 ms ${latency}`, `p99 ms ${latency}`] : []),
    'errors',
    'wrong',
  ];
  console.log(`| ${heads.join(' | ')} |`);
  console.log(`|---|${'---:|'.repeat(heads.length - 1)}`);
  for (const result of results) {
    const refused = result.refused !== undefined;
    const shown = (text) => (refused ? '' : text);
    const cells = [
      result.name,
      refused ? 'refused' : rate(result.rate),
      ...usable.map((base) => shown(`${(result.rate / base.rate).toFixed(2)}x`)),
      shown(`${rate(result.low)} to ${rate(result.high)}`),
      ...(latencies ? [shown(result.p50Ms.toFixed(2)), shown(result.p99Ms.toFixed(2))] : []),
      count(result.errors),
      count(result.wrong),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const notes = [];
  for (const result of results)
    if (result.refused !== undefined)
      notes.push(`${result.name} refused every batch: \`${result.refused}\``);
    else if (result.firstError !== undefined)
      notes.push(`${result.name}, first error: \`${result.firstError}\``);
  if (notes.length > 0) console.log();
  for (const note of notes) console.log(`- ${note}`);
  console.log();
}
