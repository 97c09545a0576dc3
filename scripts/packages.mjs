// The public workspace packages, packed as `pnpm publish` would pack them. Shared by
// check-packages.mjs and the README examples test (packages/readme-examples).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const root = resolve(import.meta.dirname, '..');

/** Every workspace package under packages/ that is not private: `{ dir, manifest }`. */
export function publicPackages() {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => !manifest.private);
}

/** Packs one package directory with `pnpm pack` into `destination`; returns the tarball's path. */
export function pack(dir, destination) {
  const output = execFileSync('pnpm', ['pack', '--pack-destination', destination], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  return output.trim().split('\n').at(-1);
}

/** The package and every workspace package it depends on at run time, transitively. */
export function workspaceClosure(packages, name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const entry = packages.find(({ manifest }) => manifest.name === name);
  for (const [dependency, range] of Object.entries(entry?.manifest.dependencies ?? {})) {
    if (String(range).startsWith('workspace:')) workspaceClosure(packages, dependency, seen);
  }
  return seen;
}
