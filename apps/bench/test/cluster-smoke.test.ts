import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('runs the quick cluster benchmark end to end and leaves no redis-server behind', async () => {
  const bench = join(import.meta.dirname, '..');
  const { stdout } = await run(
    'node',
    ['--import', './src/register-ts.mjs', 'src/cluster.mjs', '--quick'],
    { cwd: bench, timeout: 60_000 },
  );
  for (const scenario of ['(a)', '(b)', '(c)', '(d)']) expect(stdout).toContain(`## ${scenario}`);
  for (const client of [
    '@x/cluster',
    'ioredis Cluster',
    'ioredis Cluster (auto-pipelining)',
    'node-redis createCluster (no command timeout)',
  ])
    expect(stdout).toMatch(new RegExp(`\\| ${client.replace(/[()]/g, '\\$&')} \\| [\\d,]+ \\|`));
  expect(stdout).toMatch(/\| @x\/cluster: pipeline\(\) \+ receiveAll\(\) \| [\d,]+ \|/);
  // No error and no wrong reply from our client in any scenario.
  for (const line of stdout.split('\n').filter((row) => row.startsWith('| @x/cluster')))
    expect(line).toMatch(/\| 0 \| 0 \|$/);
  const ports = [...(stdout.match(/ports ([^.]+)\./)?.[1] ?? '').matchAll(/(\d+) \(/g)].map(
    (match) => match[1],
  );
  expect(ports).toHaveLength(6);
  let running = '';
  try {
    running = execFileSync('pgrep', ['-a', 'redis-server'], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches.
  }
  for (const port of ports) expect(running).not.toContain(`:${port}`);
}, 60_000);
