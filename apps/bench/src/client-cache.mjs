#!/usr/bin/env node
// What a cached read costs: a GET of one hot 100 B key answered from memory by @x/client's cache
// (strings, and Buffers, which are copied for each caller), by node-redis's clientSideCache, and
// the same GET uncached on @x/client (one at a time, and 1,000 at once). Contenders take turns
// round by round (A B C ..., then reversed); each figure is the median of the rounds after the
// warm-up. Every reply is compared with the value, and the server's own count of GETs shows that
// the cached contenders did not ask it. Then how often each cache returns a value older than a
// write another connection has just had acknowledged.
//   pnpm --filter @x/bench client-cache
import { cpus } from 'node:os';
import { createClient as createXClient } from '@x/client';
import { dial } from '@x/conn';
import { createClient as createNodeRedis } from 'redis';
import { median } from './measure.mjs';
import { redisForBench } from './redis-server.mjs';

const rounds = 9;
const warmUpRounds = 2;
const hitsPerRound = 300_000;
const sequentialGets = 5_000;
const batchedGets = 100_000;
const batch = 1_000;
const key = 'bench:hot';
const value = 'v'.repeat(100);
const valueBytes = Buffer.from(value);

const { port, stop } = await redisForBench();
const url = `redis://127.0.0.1:${port}`;
const admin = await dial(url);
await admin.do('SET', key, value);

const strings = createXClient(url, {
  protocol: 3,
  cache: {},
  decoder: { bulkStringsAs: 'string' },
});
const buffers = createXClient(url, { protocol: 3, cache: {} });
const uncached = createXClient(url, { decoder: { bulkStringsAs: 'string' } });
const nodeRedis = await createNodeRedis({
  url,
  RESP: 3,
  clientSideCache: { ttl: 0, maxEntries: 0 },
}).connect();

let failures = 0;
const checkText = (reply) => {
  if (reply !== value) failures++;
};
const checkBytes = (reply) => {
  if (!Buffer.isBuffer(reply) || !reply.equals(valueBytes)) failures++;
};

/** Runs `count` awaited calls one after another; nanoseconds per call. */
async function oneAtATime(count, call, check) {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index++) check(await call());
  return Number(process.hrtime.bigint() - started) / count;
}

/** Runs `count` calls `batch` at a time; nanoseconds per call. */
async function batched(count, call, check) {
  const started = process.hrtime.bigint();
  for (let done = 0; done < count; done += batch) {
    const replies = await Promise.all(Array.from({ length: batch }, call));
    for (const reply of replies) check(reply);
  }
  return Number(process.hrtime.bigint() - started) / count;
}

const contenders = {
  '@x/client cache hit (strings)': () =>
    oneAtATime(hitsPerRound, () => strings.cache.do('GET', key), checkText),
  '@x/client cache hit (Buffers, copied)': () =>
    oneAtATime(hitsPerRound, () => buffers.cache.do('GET', key), checkBytes),
  'node-redis clientSideCache hit': () =>
    oneAtATime(hitsPerRound, () => nodeRedis.get(key), checkText),
  '@x/client uncached GET, one at a time': () =>
    oneAtATime(sequentialGets, () => uncached.do('GET', key), checkText),
  '@x/client uncached GET, 1,000 at once': () =>
    batched(batchedGets, () => uncached.do('GET', key), checkText),
};
const cachedNames = Object.keys(contenders).filter((name) => name.includes('hit'));

async function serverGets() {
  const info = String(await admin.do('INFO', 'commandstats'));
  return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

// Fill each cache once.
checkText(await strings.cache.do('GET', key));
checkBytes(await buffers.cache.do('GET', key));
checkText(await nodeRedis.get(key));
checkText(await nodeRedis.get(key));

const names = Object.keys(contenders);
const results = Object.fromEntries(names.map((name) => [name, []]));
let cachedAskedServer = 0;
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const before = await serverGets();
    results[name].push(await contenders[name]());
    if (cachedNames.includes(name)) cachedAskedServer += (await serverGets()) - before;
  }
}

const ns = Object.fromEntries(
  names.map((name) => [name, median(results[name].slice(warmUpRounds))]),
);
const ours = ns['@x/client cache hit (strings)'];
console.log(
  `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}; ` +
    `medians of ${rounds - warmUpRounds} interleaved rounds after ${warmUpRounds} warm-up rounds`,
);
console.log('| read | ns per call | @x/client cache hit (strings) is ... faster |');
console.log('|---|---|---|');
for (const name of names)
  console.log(`| ${name} | ${ns[name].toFixed(0)} | ${(ns[name] / ours).toFixed(1)}x |`);
console.log(
  `wrong replies: ${failures}; GETs the server saw from the cached contenders while measured: ${cachedAskedServer}`,
);
console.log('@x/client cache stats (strings):', strings.cache.stats());

// Staleness as a reader sees it: another connection writes a key and awaits its reply, then the
// cached reader reads the key at once, or after one round trip of its own (a PING). The server
// sends the invalidation before anything later on the reader's connection, but the writer's
// reply may be read first: without the round trip a hit can still return the older value.
const writes = 5_000;
const stalenessKey = 'bench:written';
async function staleReads(read, roundTrip) {
  let stale = 0;
  for (let written = 1; written <= writes; written++) {
    await admin.do('SET', stalenessKey, written);
    if (roundTrip) await roundTrip();
    if (Number(String(await read())) < written) stale++;
  }
  return stale;
}
await admin.do('SET', stalenessKey, 0);
const staleness = {
  '@x/client cache': [
    await staleReads(() => strings.cache.do('GET', stalenessKey)),
    await staleReads(
      () => strings.cache.do('GET', stalenessKey),
      () => strings.do('PING'),
    ),
  ],
  'node-redis clientSideCache': [
    await staleReads(() => nodeRedis.get(stalenessKey)),
    await staleReads(
      () => nodeRedis.get(stalenessKey),
      () => nodeRedis.ping(),
    ),
  ],
};
console.log();
console.log(
  `| reads right after another connection's acknowledged write (${writes.toLocaleString('en')} writes) | older value, read at once | older value, after one round trip |`,
);
console.log('|---|---|---|');
for (const [name, [atOnce, afterRoundTrip]] of Object.entries(staleness))
  console.log(`| ${name} | ${atOnce} | ${afterRoundTrip} |`);
if (staleness['@x/client cache'][1] > 0) process.exitCode = 1;

await Promise.all([strings.close(), buffers.close(), uncached.close(), admin.close()]);
await nodeRedis.quit();
stop();
if (failures > 0 || cachedAskedServer > 0) process.exitCode = 1;
