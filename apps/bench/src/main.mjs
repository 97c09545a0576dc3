#!/usr/bin/env node
// apps/bench: the toolkit against ioredis, node-redis, redis-parser and redis-benchmark, in one
// run, against one local redis-server it starts. `--quick` for a short run, `--only a,b` for some
// scenarios; a full run (no --only, no --quick) rewrites RESULTS.md and ratios.svg.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { dial } from '@x/conn';
import { format, formatSpread, runCodecBench } from '../../../packages/resp/bench/codec.mjs';
import { runWithFixedMalloc } from '../../../packages/resp/bench/fixed-malloc.mjs';
import { ratioChart } from './chart.mjs';
import { connectClients } from './clients.mjs';
import { glideAbsence, loadGlide } from './glide.mjs';
import { countFailures, heapGrowth, sideBySide } from './measure.mjs';
import { pin } from './pin.mjs';
import { redisBenchmark } from './redis-benchmark.mjs';
import { redisForBench } from './redis-server.mjs';
import {
  concurrent,
  heapPerCommandInFlight,
  largeValues,
  pipelined,
  poolContenders,
  pubsubThroughput,
  sequential,
  subscribers,
  workers,
} from './scenarios.mjs';

runWithFixedMalloc();

const all = ['codec', 'sequential', 'concurrent', 'batched', 'pipeline', 'pool', 'large', 'pubsub'];
const { values } = parseArgs({
  // `pnpm --filter @x/bench bench -- --quick` passes the '--' through: drop it.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // Server on CPU 0, this process (and redis-benchmark) on CPU 1, with taskset.
    pin: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const chosen = values.only ? values.only.split(',') : all;
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown scenario ${unknown.join(', ')} (choose from ${all.join(', ')})`);
  process.exit(1);
}
const rounds = quick ? 3 : 5;
const sizes = quick
  ? {
      sequential: 2_000,
      concurrent: 20_000,
      batched: 20_000,
      pipeline: 20_000,
      workers: 100,
      large: 10,
      pubsub: 20_000,
    }
  : {
      sequential: 20_000,
      concurrent: 100_000,
      batched: 100_000,
      pipeline: 100_000,
      workers: 1_000,
      large: 50,
      pubsub: 100_000,
    };

const pinned = values.pin ? pin(process.pid, 1) : false;
const { port, stop } = await redisForBench({ cpu: pinned ? 0 : undefined });
const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(
  /v=(\S+)/,
)?.[1];
const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};
const chartBars = [];
const ms = (value) => (value === undefined ? '' : value.toFixed(2));
const mib = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;

out('# Benchmark results');
out();
out(
  `Machine: ${cpus()[0]?.model} (${cpus().length} cores), Node ${process.version}, Redis ${redisVersion}.`,
);
const glide = loadGlide();
out(
  `Clients: @x packages from this repository, ioredis 6.0.0, iovalkey 0.4.0, node-redis (\`redis\`) 6.3.1 (no per-command timeout, as ioredis and @x/conn have none by default, @x/conn having a 5 s read deadline per connection instead; node-redis's default is 5 s per command), ${glide ? `Valkey GLIDE ${glide.version} (\`@valkey/valkey-glide\`, RESP3, inflightRequestsLimit raised to the most commands in flight, requestTimeout 60 s)` : `no Valkey GLIDE (${glideAbsence()})`}, redis-parser 3.0.0.`,
);
out(
  `Each figure is the median of ${rounds} rounds after a warm-up round${quick ? ' (quick mode: small counts)' : ''}; the clients of a table take turns round by round, in the orders of a balanced Latin square (each follows a different neighbour in each round), and the heap is settled (collection, one timer turn, collection) between turns, never inside one.`,
);
out(
  `Heap growth is the heap after one more, untimed round minus before it, both settled: what a client keeps. Every value is unique to its key and round, and every reply is checked after the clock stops; "wrong" counts replies that are not what the command returns (missing and extra ones included), "errors" counts rejections; both are summed over the warm-up, the timed rounds and the untimed passes.`,
);
out(
  `Output types: every client returns Buffers for GET (ioredis and iovalkey through getBuffer, node-redis through its type mapping, GLIDE through Decoder.Bytes); a GET reply that is not a Buffer counts as wrong. Heap per command in flight is one untimed pass per client (100k SETs issued, none awaited), keys made before it; Valkey GLIDE's figure is V8 heap only (its Rust core holds the rest).`,
);
out(
  pinned
    ? "Pinned: redis-server on CPU 0; every thread of the clients' process (V8's, and Valkey GLIDE's Rust threads too, so GLIDE's core shares the client CPU with Node) and redis-benchmark on CPU 1 (taskset -a)."
    : 'Not pinned (--pin puts redis-server and the clients on separate CPUs).',
);
out(
  `glibc malloc: MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? 'default'}, MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_ ?? 'default'}.`,
);
out();

if (chosen.includes('codec')) {
  const { rows, encodeRate } = runCodecBench({ quick });
  out('## 1. Codec only: @x/resp against redis-parser');
  out();
  out(
    "Equal output types in each row. copies: bulk strings under 4 KiB as Buffers of their own (@x/resp's default; redis-parser's views copied the same way, after it returns them); views: Buffers that are views of the socket chunk (`bulkStringsAs: 'view'`; redis-parser's own output); strings: UTF-8 text. Simple strings are text and integers numbers in every mode of @x/resp, so they have one row each, against redis-parser returning text. \"rounds' ratios\" is the lowest and highest ratio of the rounds, paired in order: the row's noise.",
  );
  out();
  const withBaseline = rows.some((row) => row[3] !== undefined);
  out(
    `| decode | @x/resp | redis-parser | ratio | rounds' ratios |${withBaseline ? ' baseline | vs baseline |' : ''}`,
  );
  out(`|---|---:|---:|---:|---:|${withBaseline ? '---:|---:|' : ''}`);
  for (const [name, ours, theirs, baseline, spread] of rows) {
    const versusBaseline = !withBaseline
      ? ''
      : baseline === undefined
        ? ' | |'
        : ` ${format(baseline)} | ${(ours / baseline).toFixed(2)}x |`;
    out(
      `| ${name} | ${format(ours)} | ${format(theirs)} | ${(ours / theirs).toFixed(2)}x | ${formatSpread(spread)} |${versusBaseline}`,
    );
    // Charted: every row, labelled with its output mode (copies rows give redis-parser's views
    // a copy of our kind; views rows are redis-parser's own output).
    chartBars.push([`decode ${name} vs redis-parser`, ours / theirs]);
  }
  out();
  out(`Encoding \`SET key:N <100 B value>\`: ${format(encodeRate)} (commands).`);
  out();
}

/** Runs a scenario for every client; prints a table with ratios to ioredis and to redis-benchmark. */
async function clientTable(
  title,
  scenario,
  { reference, baseline, chartLabel, extra, inFlight } = {},
) {
  const clients = await connectClients(port, { inFlight });
  // redis-benchmark takes its turn in every round like a client, so its figure is a median of
  // the same moments of the machine, not one sample.
  const contenders = baseline ? [...clients, { name: baseline.label, benchmark: true }] : clients;
  const medians = await sideBySide(contenders, rounds, (contender) =>
    contender.benchmark ? baseline.run() : scenario(contender),
  );
  const benchmarkMedian = baseline ? medians[clients.length] : undefined;
  const results = [];
  for (const [index, client] of clients.entries()) {
    // Untimed: what one more round leaves behind, and the extra measure if any; their wrong
    // replies and errors count with the timed rounds'.
    const untimed = await heapGrowth(client, scenario);
    const extraValue = extra ? await extra.measure(client) : undefined;
    results.push({
      name: client.name,
      ...medians[index],
      heapGrowthMiB: untimed.heapGrowthMiB,
      extraValue,
      ...countFailures([medians[index], untimed, extraValue]),
    });
  }
  await Promise.all(clients.map((client) => client.close()));
  const referenceRate = results.find((result) => result.name === (reference ?? 'ioredis')).rate;
  out(`## ${title}`);
  out();
  out(
    `| client | ops/s | vs ${reference ?? 'ioredis'} |${baseline ? ' vs redis-benchmark |' : ''} p50 ms | p99 ms | heap growth MiB | wrong | errors |${extra ? ` ${extra.title} |` : ''}`,
  );
  out(`|---|---:|---:|${baseline ? '---:|' : ''}---:|---:|---:|---:|---:|${extra ? '---:|' : ''}`);
  for (const result of results) {
    const cells = [
      result.name,
      Math.round(result.rate).toLocaleString('en'),
      `${(result.rate / referenceRate).toFixed(2)}x`,
      ...(baseline ? [`${(result.rate / benchmarkMedian.rate).toFixed(2)}x`] : []),
      ms(result.p50Ms),
      ms(result.p99Ms),
      mib(result.heapGrowthMiB),
      String(result.wrong),
      String(result.errors),
      ...(extra ? [extra.cell(result.extraValue)] : []),
    ];
    out(`| ${cells.join(' | ')} |`);
  }
  if (baseline)
    out(
      `| redis-benchmark ${baseline.label} | ${Math.round(benchmarkMedian.rate).toLocaleString('en')} | | 1.00x | ${ms(benchmarkMedian.p50Ms)} | ${ms(benchmarkMedian.p99Ms)} | | | |${extra ? ' |' : ''}`,
    );
  out();
  chartBars.push([
    chartLabel,
    results.find((result) => result.name === '@x/conn').rate / referenceRate,
  ]);
  return results;
}

if (chosen.includes('sequential')) {
  const baseline = {
    run: () => redisBenchmark(port, { requests: sizes.sequential, pipeline: 1 }),
    label: '-c 1 -P 1',
  };
  await clientTable(
    '2. Sequential round trips (one connection, await each SET)',
    (client) => sequential(client, sizes.sequential),
    {
      baseline,
      chartLabel: 'sequential SET vs ioredis',
    },
  );
}
// The reference of scenarios 3 and 3b: SET then GET of 100 B, 100 deep, on one connection, over
// as many keys as the clients use. 200,000 of each even in quick mode: fewer last so few
// milliseconds that redis-benchmark's whole-millisecond timing moves the rate by percents.
const concurrentReference = () => ({
  run: () =>
    redisBenchmark(port, {
      requests: 200_000,
      pipeline: 100,
      valueBytes: 100,
      test: 'set,get',
      keyspace: sizes.concurrent,
    }),
  label: `-c 1 -P 100 -d 100 -t set,get -r ${sizes.concurrent}`,
});
if (chosen.includes('concurrent')) {
  await clientTable(
    `3. ${sizes.concurrent.toLocaleString('en')} SETs then GETs of 100 B on one connection, all issued at once (automatic pipelining)`,
    (client) => concurrent(client, sizes.concurrent),
    {
      reference: 'ioredis (auto-pipelining)',
      baseline: concurrentReference(),
      inFlight: sizes.concurrent,
      chartLabel: 'concurrent SET+GET vs ioredis auto',
      extra: {
        title: 'heap per command in flight',
        measure: (client) => heapPerCommandInFlight(client, sizes.concurrent),
        cell: ({ bytesPerCommand }) => `${Math.round(bytesPerCommand)} B`,
      },
    },
  );
}
if (chosen.includes('batched')) {
  await clientTable(
    `3b. ${sizes.batched.toLocaleString('en')} SETs then GETs of 100 B on one connection, in batches of 1,000 concurrent calls`,
    (client) => concurrent(client, sizes.batched, 1_000),
    {
      reference: 'ioredis (auto-pipelining)',
      baseline: concurrentReference(),
      inFlight: 1_000,
      chartLabel: 'batched SET+GET vs ioredis auto',
    },
  );
}
if (chosen.includes('pipeline')) {
  // As deep as the clients' pipelines of 1,000.
  const baseline = {
    run: () =>
      redisBenchmark(port, {
        requests: 200_000,
        pipeline: 1_000,
        valueBytes: 16,
        keyspace: sizes.pipeline,
      }),
    label: `-c 1 -P 1000 -d 16 -r ${sizes.pipeline}`,
  };
  await clientTable(
    `4. Explicit pipeline: ${sizes.pipeline.toLocaleString('en')} SETs in batches of 1,000`,
    (client) => pipelined(client, sizes.pipeline, 1_000),
    {
      baseline,
      chartLabel: 'explicit pipeline vs ioredis',
    },
  );
}
if (chosen.includes('pool')) {
  const contenders = await poolContenders(port, 10);
  const medians = await sideBySide(contenders, rounds, (contender) =>
    workers(contender, 50, sizes.workers),
  );
  const results = contenders.map((contender, index) => ({
    name: contender.name,
    ...medians[index],
  }));
  await Promise.all(contenders.map((contender) => contender.close()));
  const reference = results.find((result) => result.name.startsWith('ioredis')).rate;
  out(`## 5. 50 concurrent workers, ${sizes.workers.toLocaleString('en')} SET+GET pairs each`);
  out();
  out('| client | ops/s | vs ioredis | p50 ms per pair | p99 ms per pair | wrong | errors |');
  out('|---|---:|---:|---:|---:|---:|---:|');
  for (const result of results)
    out(
      `| ${result.name} | ${Math.round(result.rate).toLocaleString('en')} | ${(result.rate / reference).toFixed(2)}x | ${ms(result.p50Ms)} | ${ms(result.p99Ms)} | ${result.wrong} | ${result.errors} |`,
    );
  out();
  const rateOf = (prefix) => results.find((result) => result.name.startsWith(prefix)).rate;
  chartBars.push(['50 workers, shared @x/conn vs ioredis', rateOf('@x/conn') / reference]);
  chartBars.push(['50 workers, @x/pool (10) vs ioredis', rateOf('@x/pool') / reference]);
}
if (chosen.includes('large')) {
  const baseline = {
    run: () =>
      redisBenchmark(port, {
        requests: quick ? 200 : 1_000,
        pipeline: 1,
        valueBytes: 1024 * 1024,
        test: 'set,get',
      }),
    label: '-c 1 -P 1 -d 1048576 -t set,get',
  };
  await clientTable(
    '6. Large values: 1 MiB SET then GET, sequentially',
    (client) => largeValues(client, sizes.large),
    {
      baseline,
      chartLabel: '1 MiB SET+GET vs ioredis',
    },
  );
}
if (chosen.includes('pubsub')) {
  const publisher = await dial(`redis://127.0.0.1:${port}`);
  const contenders = await subscribers(port);
  const medians = await sideBySide(contenders, rounds, (subscriber) =>
    pubsubThroughput(publisher, subscriber, sizes.pubsub),
  );
  const results = contenders.map((subscriber, index) => ({
    name: subscriber.name,
    ...medians[index],
  }));
  await publisher.close();
  const reference = results.find((result) => result.name === 'ioredis').rate;
  out(
    `## 7. Pub/sub: ${sizes.pubsub.toLocaleString('en')} messages from one publisher to one subscriber`,
  );
  out();
  out('| subscriber | messages/s | vs ioredis | wrong | errors |');
  out('|---|---:|---:|---:|---:|');
  for (const result of results)
    out(
      `| ${result.name} | ${Math.round(result.rate).toLocaleString('en')} | ${(result.rate / reference).toFixed(2)}x | ${result.wrong} | ${result.errors} |`,
    );
  out();
  chartBars.push(['pub/sub messages/s vs ioredis', results[0].rate / reference]);
}

stop();
if (!quick && !values.only) {
  const svg = ratioChart(
    '@x toolkit: speed relative to the reference (ioredis, or redis-parser for the codec)',
    chartBars,
  );
  writeFileSync(new URL('../ratios.svg', import.meta.url), svg);
  writeFileSync(
    new URL('../RESULTS.md', import.meta.url),
    `${lines.join('\n')}\n\n![ratios](ratios.svg)\n\nThe targets, and what limits the ones that are missed: [README.md](README.md).\n`,
  );
  console.log('\nWrote apps/bench/RESULTS.md and apps/bench/ratios.svg');
}
process.exit(0);
