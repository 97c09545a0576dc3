import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

/** Every client row of every table with wrong and errors columns: [table, client, wrong, errors]. */
function failureCells(stdout: string): [string, string, string, string][] {
  const cells: [string, string, string, string][] = [];
  let title = '';
  let columns: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('## ')) title = line;
    if (!line.startsWith('|') || line.startsWith('|---')) continue;
    const row = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
    const client = row[0] ?? '';
    if (client === 'client' || client === 'subscriber') {
      columns = row;
      continue;
    }
    // redis-benchmark's reference row has no replies of its own to check.
    if (client.startsWith('redis-benchmark')) continue;
    const wrong = columns.indexOf('wrong');
    const errors = columns.indexOf('errors');
    if (wrong >= 0 && errors >= 0)
      cells.push([title, client, row[wrong] ?? 'missing', row[errors] ?? 'missing']);
  }
  return cells;
}

it('runs a quick benchmark of two scenarios end to end, every reply right', async () => {
  const main = join(import.meta.dirname, '..', 'src', 'main.mjs');
  const { stdout } = await run(
    'node',
    ['--expose-gc', main, '--quick', '--only', 'sequential,pubsub'],
    { timeout: 60_000 },
  );
  expect(stdout).toContain('## 2. Sequential round trips');
  expect(stdout).toContain('## 7. Pub/sub');
  for (const client of [
    '@x/conn',
    'ioredis',
    'iovalkey (auto-pipelining)',
    'node-redis',
    'redis-benchmark -c 1 -P 1',
  ]) {
    expect(stdout).toMatch(new RegExp(`\\| ${client.replace(/[()]/g, '\\$&')} \\| [\\d,]+ \\|`));
  }
  for (const subscriber of ['@x/pubsub', 'ioredis', 'iovalkey', 'node-redis'])
    expect(stdout).toMatch(new RegExp(`\\| ${subscriber} \\| [\\d,]+ \\|`));
  // Valkey GLIDE is optional (`peers:install`): a row when it loads, else a line that says why not.
  expect(stdout).toMatch(/\| Valkey GLIDE [\d.]+ \| [\d,]+ \||bench: Valkey GLIDE skipped, /);

  const cells = failureCells(stdout);
  // Without GLIDE: six clients in the sequential table and four subscribers, so none went unread.
  expect(cells.length).toBeGreaterThanOrEqual(10);
  const failing = cells.filter(([, , wrong, errors]) => wrong !== '0' || errors !== '0');
  expect(failing).toEqual([]);
}, 90_000);
