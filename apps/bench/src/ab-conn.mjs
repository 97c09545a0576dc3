#!/usr/bin/env node
// A/B of two @x/conn builds in one process: BENCH_CONN_BASELINE (the build before a change; see
// README.md for how to lay it out) and this build take turns (the order reversed every other
// round), scenario 3 or 3b (`--batch 1000`), pinned. Prints the median rate of each and, as this
// shared machine's other work moves wall-clock rates by 2x, the median commands per second of
// this process's own CPU time (user + system). Point BENCH_CONN_BASELINE at a copy of this very
// build for an A/A control: it gives the noise band of both figures.
//   BENCH_CONN_BASELINE=<dir>/node_modules/@x/conn/dist/index.js pnpm --filter @x/bench ab-conn -- --batch 1000
import { parseArgs } from 'node:util';
import { dial } from '@x/conn';
import { median } from './measure.mjs';
import { pin } from './pin.mjs';
import { redisForBench } from './redis-server.mjs';
import { concurrent } from './scenarios.mjs';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    batch: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '16' },
  },
});
if (!process.env.BENCH_CONN_BASELINE) {
  console.error('ab-conn: set BENCH_CONN_BASELINE to the baseline build of @x/conn (README.md)');
  process.exit(1);
}
const count = 100_000;
const batch = Number(values.batch);
pin(process.pid, 1, 'ab-conn');
const { port, stop } = await redisForBench({ cpu: 0 });
const url = `redis://127.0.0.1:${port}`;
const { dial: dialBaseline } = await import(process.env.BENCH_CONN_BASELINE);
const adapter = (name, conn) => ({
  name,
  conn,
  set: (key, value) => conn.do('SET', key, value),
  get: (key) => conn.do('GET', key),
  rates: [],
  cpuRates: [],
});
const contenders = [
  adapter('baseline', await dialBaseline(url)),
  adapter('this build', await dial(url)),
];
for (const contender of contenders) await concurrent(contender, count, batch);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
    globalThis.gc?.();
    const cpu = process.cpuUsage();
    const { rate, wrong, errors } = await concurrent(contender, count, batch);
    const used = process.cpuUsage(cpu);
    if (wrong + errors > 0)
      throw new Error(`${contender.name}: ${wrong} wrong replies, ${errors} errors`);
    contender.rates.push(rate);
    contender.cpuRates.push((2 * count) / ((used.user + used.system) / 1e6));
  }
}
const [baseline] = contenders;
console.log(
  `${count.toLocaleString('en')} SETs then GETs of 100 B, batches of ${batch}, ${values.rounds} rounds, medians`,
);
for (const contender of contenders) {
  const rate = median(contender.rates);
  const cpuRate = median(contender.cpuRates);
  console.log(
    `${contender.name.padEnd(10)}  ${Math.round(rate).toLocaleString('en')} ops/s (${(rate / median(baseline.rates)).toFixed(3)}x)  ${Math.round(cpuRate).toLocaleString('en')} per CPU-second (${(cpuRate / median(baseline.cpuRates)).toFixed(3)}x)`,
  );
}
await Promise.all(contenders.map((contender) => contender.conn.close()));
stop();
process.exit(0);
