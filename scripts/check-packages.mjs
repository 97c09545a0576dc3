#!/usr/bin/env node
// Checks every public package as a user would get it: publint and attw on the packed tarball,
// then installs the tarball alone (workspace siblings from their own tarballs) into an empty
// folder with npm, and loads it with both `import` and `require`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);
const byName = new Map(packages.map((entry) => [entry.manifest.name, entry]));

const work = mkdtempSync(join(tmpdir(), 'x-pack-check-'));
const tarballs = new Map();
let failures = 0;

try {
  for (const { dir, manifest } of packages) {
    run('pnpm', ['exec', 'publint', '--strict', dir], root);
    run('pnpm', ['exec', 'attw', '--pack', dir, '--format', 'table-flipped'], root);
    const output = run('pnpm', ['pack', '--pack-destination', work], dir).trim().split('\n');
    tarballs.set(manifest.name, output.at(-1));
  }

  for (const { manifest } of packages) {
    const name = manifest.name;
    const project = join(work, `install-${name.replace(/\W/g, '-')}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'check', private: true }));
    const needed = [...workspaceClosure(name)].map((dependency) => tarballs.get(dependency));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...needed], project);
    const probe = `Object.keys(mod).filter((key) => key !== 'default').length`;
    const viaRequire = run(
      'node',
      ['-e', `const mod = require('${name}'); console.log(${probe})`],
      project,
    );
    const viaImport = run(
      'node',
      ['--input-type=module', '-e', `const mod = await import('${name}'); console.log(${probe})`],
      project,
    );
    if (Number(viaRequire) === 0 || viaRequire.trim() !== viaImport.trim()) {
      console.error(
        `${name}: require saw ${viaRequire.trim()} exports, import saw ${viaImport.trim()}`,
      );
      failures++;
    }
    const packed = JSON.parse(
      readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'),
    );
    if (name === '@x/resp' && Object.keys(packed.dependencies ?? {}).length > 0) {
      console.error('@x/resp must install with zero dependencies');
      failures++;
    }
    console.log(
      `package check: ${name} passes publint --strict and attw --pack, installs alone with npm, loads with import and require`,
    );
  }
} catch (error) {
  console.error(error.stdout ?? '', error.stderr ?? '', error.message);
  failures++;
} finally {
  rmSync(work, { recursive: true, force: true });
}

process.exitCode = failures === 0 ? 0 : 1;

/** The package and every workspace package it depends on, transitively. */
function workspaceClosure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const dependencies = byName.get(name)?.manifest.dependencies ?? {};
  for (const [dependency, range] of Object.entries(dependencies)) {
    if (String(range).startsWith('workspace:')) workspaceClosure(dependency, seen);
  }
  return seen;
}
