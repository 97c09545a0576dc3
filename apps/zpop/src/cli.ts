import { parseArgs } from 'node:util';
import { createClient } from '@x/client';
import { type FoundRedis, findRedis } from './find-redis.js';
import { formatTable } from './report.js';
import { type RunResult, runStrategy } from './run.js';
import { type StrategyName, strategies } from './strategy.js';

const usage = `Usage: zpop [options]

Pops every member of a sorted set with concurrent workers, three ways (WATCH/MULTI/EXEC, a Lua
script, native ZPOPMIN), proves each member was popped exactly once, and prints a table.

Options:
  -n, --members <N>     members to seed (default 10000)
  -w, --workers <W>     concurrent workers, each popping through the client (default 20)
  -s, --strategy <S>    watch, script, native or all (default all)
      --url <URL>       Redis URL (default: REDIS_URL, else 127.0.0.1:6379, else a throwaway redis-server)
      --key <KEY>       the sorted set to use (default zpop:demo)
      --json            print the results as JSON
  -h, --help            show this help`;

function fail(message: string): never {
  console.error(`zpop: ${message}`);
  process.exit(1);
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    fail(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

let values: ReturnType<typeof parseOptions>['values'];
function parseOptions() {
  // `pnpm start -- --members 10` hands the script a literal '--' first: skip it.
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  return parseArgs({
    args,
    options: {
      members: { type: 'string', short: 'n', default: '10000' },
      workers: { type: 'string', short: 'w', default: '20' },
      strategy: { type: 'string', short: 's', default: 'all' },
      url: { type: 'string' },
      key: { type: 'string', default: 'zpop:demo' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
try {
  ({ values } = parseOptions());
} catch (error) {
  fail(`${(error as Error).message}\n\n${usage}`);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const members = positive(values.members, 'members');
const workers = positive(values.workers, 'workers');
const names = Object.keys(strategies) as StrategyName[];
const chosen = values.strategy === 'all' ? names : [values.strategy as StrategyName];
if (!chosen.every((name) => names.includes(name)))
  fail(`--strategy must be one of ${names.join(', ')} or all`);

// Ctrl-C: exit through 'exit' so that a throwaway redis-server is stopped.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

let redis: FoundRedis;
try {
  redis = values.url
    ? { url: values.url, stop: () => {}, startedServer: false }
    : await findRedis();
} catch (error) {
  fail((error as Error).message);
}

// One client for the whole run, as an application has: a shared connection for the script and
// ZPOPMIN workers, and a pool of connections of their own for the WATCH workers.
const client = createClient(redis.url, {
  exclusive: { maxActive: workers, maxIdle: workers, wait: true },
});
const progress = process.stderr.isTTY && !values.json;
if (!values.json) {
  const where = redis.startedServer ? `a throwaway redis-server at ${redis.url}` : redis.url;
  console.log(`Popping ${members} members with ${workers} workers, using ${where}\n`);
}

const results: RunResult[] = [];
try {
  for (const strategy of chosen) {
    let shown = 0;
    const result = await runStrategy({
      client,
      key: values.key,
      members,
      workers,
      strategy,
      onProgress: (popped) => {
        if (!progress || (popped - shown < members / 50 && popped !== members)) return;
        shown = popped;
        process.stderr.write(`\r${strategy}: ${popped}/${members} popped`);
      },
    });
    if (progress) process.stderr.write('\r\x1b[K');
    results.push(result);
  }
} catch (error) {
  fail(`${(error as Error).message}`);
} finally {
  await client.close();
  redis.stop();
}

console.log(values.json ? JSON.stringify(results, null, 2) : formatTable(results));
if (!results.every((result) => result.exactlyOnce)) process.exitCode = 1;
