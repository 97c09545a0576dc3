#!/usr/bin/env node
// Where the client's time goes in scenario 3 or 3b: 100,000 SETs then GETs of 100 B on one
// @x/conn connection (all at once, or `--batch 1000`), pinned (server on CPU 0, this process on
// CPU 1), `--rounds` rounds under the V8 sampling profiler. Prints the top functions by self time
// and the share of each kind of work: ours (@x/conn, @x/resp), garbage collection, Node's own
// JavaScript (net, streams, Buffer), native code and builtins, idle (waiting for the server).
//   pnpm --filter @x/bench cpu-profile -- --batch 1000 (not `profile`: pnpm hands that name to npm's own command)
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { dial } from '@x/conn';
import { pin } from './pin.mjs';
import { redisForBench } from './redis-server.mjs';
import { concurrent } from './scenarios.mjs';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    batch: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '12' },
    top: { type: 'string', default: '20' },
  },
});
const count = 100_000;
const batch = Number(values.batch);
pin(process.pid, 1, 'profile');
const { port, stop } = await redisForBench({ cpu: 0 });
const conn = await dial(`redis://127.0.0.1:${port}`);
const client = {
  set: (key, value) => conn.do('SET', key, value),
  get: (key) => conn.do('GET', key),
};
await concurrent(client, count, batch); // warm-up, not profiled

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const rates = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const { rate, wrong, errors } = await concurrent(client, count, batch);
  if (wrong + errors > 0) throw new Error(`${wrong} wrong replies, ${errors} errors`);
  rates.push(Math.round(rate));
}
const { profile } = await session.post('Profiler.stop');
await conn.close();
stop();

console.log(`batches of ${batch}: ops/s per round ${rates.join(' ')}`);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
for (let index = 0; index < profile.samples.length; index++) {
  const { functionName, url, lineNumber } = byId.get(profile.samples[index]).callFrame;
  const where = url.split('/').slice(-3).join('/');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
}
const total = [...selfMicros.values()].reduce((sum, micros) => sum + micros, 0);
const percent = (micros) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`;
console.log(`\ntop functions by self time (${(total / 1000).toFixed(0)} ms sampled)`);
for (const [key, micros] of [...selfMicros]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top)))
  console.log(`${percent(micros)}  ${key}`);
const kinds = new Map();
for (const [key, micros] of selfMicros) {
  const kind = key.startsWith('dispatch :')
    ? "the profiler's own (the inspector call that stops it)"
    : key.startsWith('(garbage collector)')
      ? 'garbage collection'
      : key.startsWith('(idle)')
        ? 'idle (waiting for the server)'
        : /(conn|resp)\/dist\//.test(key)
          ? 'ours (@x/conn, @x/resp)'
          : key.includes('node:')
            ? "Node's JavaScript (net, streams, Buffer, ...)"
            : key.includes('bench/src/')
              ? 'the benchmark itself'
              : 'native code and builtins';
  kinds.set(kind, (kinds.get(kind) ?? 0) + micros);
}
console.log('\nby kind');
for (const [kind, micros] of [...kinds].sort((a, b) => b[1] - a[1]))
  console.log(`${percent(micros)}  ${kind}`);
process.exit(0);
