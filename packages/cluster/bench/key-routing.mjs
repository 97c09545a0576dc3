#!/usr/bin/env node
// Nanoseconds per table.lookup + keyIndexes (+ keySlot of the first key) for the calls a
// cluster client routes most, on the built package (`pnpm build` first). Starts a throwaway
// redis-server for its COMMAND reply. Median of 7 rounds after a warm-up round, in CPU time
// (process.cpuUsage), which time spent waiting for a core does not inflate; on a shared machine
// read the figures as orders of magnitude all the same.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dial } from '@x/conn';
import { CommandTable, keyIndexes, keySlot } from '../dist/index.js';

const directory = mkdtempSync(join(tmpdir(), 'x-bench-'));
const socket = join(directory, 'redis.sock');
const server = spawn(
  'redis-server',
  ['--port', '0', '--unixsocket', socket, '--save', '', '--dir', directory],
  { stdio: 'ignore' },
);
let reply;
try {
  for (let attempt = 0; ; attempt++) {
    try {
      const conn = await dial(`unix://${socket}`);
      reply = await conn.do('COMMAND');
      await conn.close();
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      await sleep(50);
    }
  }
} finally {
  server.kill();
  rmSync(directory, { recursive: true, force: true });
}
const table = CommandTable.fromReply(reply);

const CALLS = 2_000_000;
const cases = [
  ['GET', ['user:1000']],
  ['get', ['user:1000']],
  ['SET', ['user:1000', 'value']],
  ['MSET', ['k1', 'v1', 'k2', 'v2', 'k3', 'v3']],
  ['Get', ['user:1000']],
];

function round(command, args, withSlot) {
  let sink = 0;
  const start = process.cpuUsage();
  for (let call = 0; call < CALLS; call++) {
    const info = table.lookup(command, args);
    const keys = keyIndexes(info, args);
    sink += withSlot ? keySlot(args[keys[0]]) : keys.length;
  }
  const used = process.cpuUsage(start);
  const ns = ((used.user + used.system) * 1000) / CALLS;
  if (sink < 0) console.log(sink);
  return ns;
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const withSlot of [false, true]) {
  for (const [command, args] of cases) {
    round(command, args, withSlot);
    const rounds = Array.from({ length: 7 }, () => round(command, args, withSlot));
    const label = `${command} ${args.join(' ')}`.padEnd(30);
    console.log(
      `${label} lookup+keyIndexes${withSlot ? '+keySlot' : ''}: ${median(rounds).toFixed(1)} ns`,
    );
  }
}
