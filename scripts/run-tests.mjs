#!/usr/bin/env node
// Runs every vitest project once, then prints one plain closing line ("tests: N passed,
// N failed, N skipped") from vitest's JSON report, so any CI can read the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

// Integration tests start their own redis-server: without one, say so once instead of failing
// every suite with a stack trace.
if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    'tests: redis-server is not installed or not on PATH (apt-get install redis-server, or brew install redis)',
  );
  process.exit(1);
}
const report = resolve(root, '.turbo/vitest-report.json');
rmSync(report, { force: true });
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
if (!existsSync(report)) {
  console.log('tests: 0 passed, 1 failed (vitest wrote no report)');
  process.exit(result.status || 1);
}
const totals = JSON.parse(readFileSync(report, 'utf8'));
const skipped = totals.numPendingTests + totals.numTodoTests;
console.log(
  `tests: ${totals.numPassedTests} passed, ${totals.numFailedTests} failed, ${skipped} skipped`,
);
process.exit(result.status ?? 1);
