#!/usr/bin/env node
import { Redis } from 'ioredis';
// One connection, three clients, same local redis-server, same process: sequential round trips
// and 100k concurrent SETs. Median ops/s of 5 rounds after a warm-up round (`--quick`: 3 rounds,
// smaller counts). Run from the repository root with `pnpm bench` (which builds first).
import { createClient } from 'redis';
import { dial } from '../dist/index.js';
import { redisForBench } from './redis-for-bench.mjs';

const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 5;
const sequentialCount = quick ? 2_000 : 20_000;
const concurrentCount = quick ? 20_000 : 100_000;
const value = 'x'.repeat(16);

const { port, stop } = await redisForBench();
const url = `redis://127.0.0.1:${port}`;

const ours = await dial(url);
const ioredis = new Redis({ port, host: '127.0.0.1', lazyConnect: false });
const ioredisAuto = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
const nodeRedis = await createClient({ url }).connect();
await Promise.all([ioredis.ping(), ioredisAuto.ping()]);

const clients = [
  ['@x/conn', (key) => ours.do('SET', key, value)],
  ['ioredis', (key) => ioredis.set(key, value)],
  ['ioredis (auto-pipelining)', (key) => ioredisAuto.set(key, value)],
  ['node-redis', (key) => nodeRedis.set(key, value)],
];

async function sequential(set) {
  const started = performance.now();
  for (let index = 0; index < sequentialCount; index++) await set(`seq:${index}`);
  return sequentialCount / ((performance.now() - started) / 1000);
}

async function concurrent(set) {
  const started = performance.now();
  const calls = new Array(concurrentCount);
  for (let index = 0; index < concurrentCount; index++) calls[index] = set(`con:${index}`);
  await Promise.all(calls);
  return concurrentCount / ((performance.now() - started) / 1000);
}

async function medianOf(scenario, set) {
  await scenario(set);
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await scenario(set));
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)];
}

const rows = [];
for (const [name, set] of clients) {
  rows.push([name, await medianOf(sequential, set), await medianOf(concurrent, set)]);
}

const [, ioSequential] = rows[1];
const [, , ioAutoConcurrent] = rows[2];
const format = (rate) => `${Math.round(rate / 1000)}k`;
console.log(
  `Node ${process.version}, one connection each, SET of a 16 B value, median of ${rounds} rounds`,
);
console.log(`(${sequentialCount} sequential round trips; ${concurrentCount} concurrent SETs)\n`);
console.log(
  '| client | sequential ops/s | vs ioredis | 100k concurrent SET/s | vs ioredis auto-pipelining |',
);
console.log('|---|---:|---:|---:|---:|');
for (const [name, sequentialRate, concurrentRate] of rows) {
  console.log(
    `| ${name} | ${format(sequentialRate)} | ${(sequentialRate / ioSequential).toFixed(2)}x | ${format(concurrentRate)} | ${(concurrentRate / ioAutoConcurrent).toFixed(2)}x |`,
  );
}

await ours.close();
ioredis.disconnect();
ioredisAuto.disconnect();
await nodeRedis.quit();
stop();
