#!/usr/bin/env node
// What @x/client costs over a bare @x/conn Connection: the same 100,000 SETs then 100,000 GETs of
// 100 B issued at once, on each, in alternating rounds (A B, B A, ...) so that a slow moment of
// the machine hits both alike; every reply is checked. Prints the medians and the ratio.
//   pnpm --filter @x/bench client-overhead
import { createClient } from '@x/client';
import { dial } from '@x/conn';
import { median } from './measure.mjs';
import { redisForBench } from './redis-server.mjs';
import { setThenGet } from './set-then-get.mjs';

const rounds = 12;
const warmUpRounds = 2;
const count = 100_000;
const value = 'x'.repeat(100);

const { port, stop } = await redisForBench();
const url = `redis://127.0.0.1:${port}`;
const contenders = { '@x/conn': await dial(url), '@x/client': createClient(url) };
await contenders['@x/client'].do('PING');

const round = (target) => setThenGet(target, count, value);

const names = Object.keys(contenders);
const rates = Object.fromEntries(names.map((name) => [name, []]));
for (let index = 0; index < rounds; index++) {
  const order = index % 2 === 0 ? names : [...names].reverse();
  for (const name of order) rates[name].push(await round(contenders[name]));
}
const [conn, client] = names.map((name) => median(rates[name].slice(warmUpRounds)));
const perRound = rates['@x/client']
  .slice(warmUpRounds)
  .map((rate, index) => (rate / rates['@x/conn'][index + warmUpRounds]).toFixed(2));
console.log(
  `@x/conn ${Math.round(conn).toLocaleString('en')} ops/s, @x/client ${Math.round(client).toLocaleString('en')} ops/s: ` +
    `${(client / conn).toFixed(2)}x (medians of ${rounds - warmUpRounds} alternating rounds; per round ${perRound.join(' ')})`,
);
await Promise.all([contenders['@x/conn'].close(), contenders['@x/client'].close()]);
stop();
