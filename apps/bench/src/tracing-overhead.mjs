#!/usr/bin/env node
// What the x:conn:command TracingChannel costs: 100,000 SETs then 100,000 GETs of 100 B issued at
// once on one @x/conn connection, with nobody subscribed and with a subscriber to all five events
// (which does nothing), in rotating rounds so that a slow moment of the machine hits each alike.
// With BENCH_CONN_BASELINE naming the dist/index.js of a build without the tracing code (see the
// README), that build runs beside them: "no subscribers" against it is the cost of the code alone.
// Prints median ops/s, and the heap held per command in flight with nobody subscribed.
//   pnpm --filter @x/bench tracing-overhead
import { tracingChannel } from 'node:diagnostics_channel';
import { dial } from '@x/conn';
import { median } from './measure.mjs';
import { redisForBench } from './redis-server.mjs';
import { setThenGet } from './set-then-get.mjs';

const rounds = 14;
const warmUpRounds = 2;
const count = 100_000;
const value = 'x'.repeat(100);

const { port, stop } = await redisForBench();
const url = `redis://127.0.0.1:${port}`;
const commands = tracingChannel('x:conn:command');
const ignore = () => {};
const subscriber = {
  start: ignore,
  end: ignore,
  asyncStart: ignore,
  asyncEnd: ignore,
  error: ignore,
};

const contenders = [
  { name: 'no subscribers', conn: await dial(url), traced: false },
  { name: 'traced', conn: await dial(url), traced: true },
];
if (process.env.BENCH_CONN_BASELINE) {
  const baseline = await import(process.env.BENCH_CONN_BASELINE);
  contenders.unshift({ name: 'baseline', conn: await baseline.dial(url), traced: false });
}

async function round({ conn, traced }) {
  if (traced) commands.subscribe(subscriber);
  try {
    return await setThenGet(conn, count, value);
  } finally {
    if (traced) commands.unsubscribe(subscriber);
  }
}

/** Heap held per command issued and not yet answered (a whole batch issued in one tick). */
async function heldPerCommand({ conn }) {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const pending = [];
  for (let index = 0; index < count; index++) pending.push(conn.do('GET', `k:${index}`));
  globalThis.gc?.();
  const held = (process.memoryUsage().heapUsed - before) / count;
  await Promise.all(pending);
  return held;
}

const rates = contenders.map(() => []);
for (let index = 0; index < rounds; index++) {
  // Rotate who goes first.
  for (let turn = 0; turn < contenders.length; turn++) {
    const which = (index + turn) % contenders.length;
    rates[which].push(await round(contenders[which]));
  }
}
const medians = rates.map((list) => median(list.slice(warmUpRounds)));
const reference = medians[contenders.findIndex(({ name }) => name === 'no subscribers')];
for (const [which, { name }] of contenders.entries())
  console.log(
    `${name.padEnd(15)} ${Math.round(medians[which]).toLocaleString('en').padStart(9)} ops/s  ` +
      `${(medians[which] / reference).toFixed(3)}x of no subscribers  ` +
      `(median of ${rounds - warmUpRounds} rotating rounds)`,
  );
if (globalThis.gc) {
  for (const contender of contenders.filter(({ traced }) => !traced)) {
    const held = [];
    for (let index = 0; index < 5; index++) held.push(await heldPerCommand(contender));
    console.log(
      `${contender.name.padEnd(15)} ${Math.round(median(held))} bytes of heap per command in flight (median of 5)`,
    );
  }
}
await Promise.all(contenders.map(({ conn }) => conn.close()));
stop();
