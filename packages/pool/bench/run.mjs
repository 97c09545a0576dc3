#!/usr/bin/env node
// 50 concurrent workers doing SET then GET: through @x/pool, through one shared auto-pipelined
// @x/conn connection, through ioredis (one auto-pipelined client) and through node-redis's
// client pool; same local redis-server, same process. Median ops/s of 5 rounds after a warm-up.
import { dial } from '@x/conn';
import { Redis } from 'ioredis';
import { createClientPool } from 'redis';
import { redisForBench } from '../../conn/bench/redis-for-bench.mjs';
import { Pool } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 5;
const workers = 50;
const perWorker = quick ? 200 : 1_000;
const poolSize = 10;
const value = 'x'.repeat(16);

const { port, stop } = await redisForBench();
const url = `redis://127.0.0.1:${port}`;

const pool = new Pool({
  dial: () => dial(url),
  maxActive: poolSize,
  maxIdle: poolSize,
  wait: true,
});
const shared = await dial(url);
const ioredis = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
const nodePool = await createClientPool(
  { url },
  { minimum: poolSize, maximum: poolSize },
).connect();

const clients = [
  [
    `@x/pool (maxActive ${poolSize}, use per pair)`,
    (key) =>
      pool.use(async (conn) => {
        await conn.do('SET', key, value);
        return conn.do('GET', key);
      }),
  ],
  [
    '@x/conn (one shared connection)',
    async (key) => {
      await shared.do('SET', key, value);
      return shared.do('GET', key);
    },
  ],
  [
    'ioredis (one client, auto-pipelining)',
    async (key) => {
      await ioredis.set(key, value);
      return ioredis.get(key);
    },
  ],
  [
    `node-redis createClientPool (${poolSize})`,
    async (key) => {
      await nodePool.set(key, value);
      return nodePool.get(key);
    },
  ],
];

async function round(pair) {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = 0; index < perWorker; index++) await pair(`w${worker}:${index % 100}`);
    }),
  );
  return (workers * perWorker * 2) / ((performance.now() - started) / 1000);
}

const format = (rate) => `${Math.round(rate / 1000)}k`;
const results = [];
for (const [name, pair] of clients) {
  await round(pair);
  const rates = [];
  for (let index = 0; index < rounds; index++) rates.push(await round(pair));
  rates.sort((a, b) => a - b);
  results.push([name, rates[Math.floor(rates.length / 2)]]);
}
const ioredisRate = results[2][1];
console.log(
  `Node ${process.version}, ${workers} workers x ${perWorker} SET+GET pairs, median of ${rounds} rounds\n`,
);
console.log('| client | ops/s | vs ioredis |');
console.log('|---|---:|---:|');
for (const [name, rate] of results)
  console.log(`| ${name} | ${format(rate)} | ${(rate / ioredisRate).toFixed(2)}x |`);

await pool.close();
await shared.close();
ioredis.disconnect();
await nodePool.close();
stop();
