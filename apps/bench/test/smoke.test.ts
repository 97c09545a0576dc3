import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('runs a quick benchmark of one scenario end to end', async () => {
  const main = join(import.meta.dirname, '..', 'src', 'main.mjs');
  const { stdout } = await run('node', ['--expose-gc', main, '--quick', '--only', 'sequential'], {
    timeout: 60_000,
  });
  expect(stdout).toContain('## 2. Sequential round trips');
  for (const client of [
    '@x/conn',
    'ioredis',
    'iovalkey (auto-pipelining)',
    'node-redis',
    'redis-benchmark -c 1 -P 1',
  ]) {
    expect(stdout).toMatch(new RegExp(`\\| ${client.replace(/[()]/g, '\\$&')} \\| [\\d,]+ \\|`));
  }
  // Valkey GLIDE is optional (`peers:install`): a row when it loads, else a line that says why not.
  expect(stdout).toMatch(/\| Valkey GLIDE [\d.]+ \| [\d,]+ \||bench: Valkey GLIDE skipped, /);
});
