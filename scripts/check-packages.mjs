#!/usr/bin/env node
// Checks every public package as a user would get it: publint and attw on the packed tarball,
// then installs the tarball alone (workspace siblings from their own tarballs) into an empty
// folder with npm, and loads it with both `import` and `require`. Last, it compiles a consumer
// that imports every public package's types, as ES module and as CommonJS, against the oldest
// @types/node the packages support (20.0.0: Buffer and diagnostics_channel's Channel are not
// generic yet), with a TypeScript of its time (5.4: 5.7 and later cannot check that @types/node).
// Each packed package.json is checked too (see checkPackedManifest): what a user downloads carries
// the LICENSE, says where the code and the issues are, asks for the root's Node range, and names
// no private package and no script that reaches outside the package.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pack, publicPackages, root, workspaceClosure } from './packages.mjs';

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const packages = publicPackages();
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');
const privateNames = new Set(
  ['packages', 'apps']
    .flatMap((folder) => readdirSync(join(root, folder)).map((name) => join(root, folder, name)))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')))
    .filter((manifest) => manifest.private)
    .map((manifest) => manifest.name),
);

const work = mkdtempSync(join(tmpdir(), 'x-pack-check-'));
const tarballs = new Map();
let failures = 0;

try {
  for (const { dir, manifest } of packages) {
    run('pnpm', ['exec', 'publint', '--strict', dir], root);
    run('pnpm', ['exec', 'attw', '--pack', dir, '--format', 'table-flipped'], root);
    // `Buffer<...>` exists only in newer @types/node; a user on 20.11 gets TS2315 from it.
    for (const file of readdirSync(join(dir, 'dist')).filter((name) => /\.d\.c?ts$/.test(name)))
      if (readFileSync(join(dir, 'dist', file), 'utf8').includes('Buffer<')) {
        console.error(`${manifest.name}: dist/${file} names Buffer<...>; give the type by hand`);
        failures++;
      }
    const tarball = pack(dir, work);
    tarballs.set(manifest.name, tarball);
    for (const problem of checkPackedManifest(dir, tarball)) {
      console.error(`${manifest.name}: packed ${problem}`);
      failures++;
    }
  }

  for (const { manifest } of packages) {
    const name = manifest.name;
    const project = join(work, `install-${name.replace(/\W/g, '-')}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'check', private: true }));
    const needed = [...workspaceClosure(packages, name)].map((dependency) =>
      tarballs.get(dependency),
    );
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
      `package check: ${name} passes publint --strict and attw --pack, its packed manifest and LICENSE pass, installs alone with npm, loads with import and require`,
    );
  }

  failures += checkTypesAgainstOldestNodeTypes();
} catch (error) {
  console.error(error.stdout ?? '', error.stderr ?? '', error.message);
  failures++;
} finally {
  rmSync(work, { recursive: true, force: true });
}

process.exitCode = failures === 0 ? 0 : 1;

/**
 * What is wrong with the package.json and LICENSE inside a tarball, as a user would download it
 * (pnpm pack rewrites `workspace:` ranges and runs the beforePacking hook of .pnpmfile.cjs).
 */
function checkPackedManifest(dir, tarball) {
  const unpacked = join(work, `unpacked-${basename(tarball, '.tgz')}`);
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], root);
  const folder = join(unpacked, 'package');
  const packed = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const problems = [];
  if (!existsSync(join(folder, 'LICENSE'))) problems.push('tarball has no LICENSE');
  else if (readFileSync(join(folder, 'LICENSE'), 'utf8') !== rootLicense)
    problems.push('LICENSE differs from the root LICENSE');
  if (packed.license !== 'MIT') problems.push(`license is ${packed.license}, not MIT`);
  const directory = `packages/${basename(dir)}`;
  if (
    packed.repository?.type !== 'git' ||
    !String(packed.repository?.url).startsWith('git+https://') ||
    packed.repository?.directory !== directory
  )
    problems.push(
      `repository must be { type: git, url: git+https://..., directory: ${directory} }`,
    );
  if (typeof packed.homepage !== 'string' || !packed.homepage.includes(directory))
    problems.push(`homepage must point at ${directory}`);
  if (typeof (packed.bugs?.url ?? packed.bugs) !== 'string') problems.push('bugs is missing');
  if (packed.engines?.node !== rootManifest.engines.node)
    problems.push(
      `engines.node is ${packed.engines?.node}, the root says ${rootManifest.engines.node}`,
    );
  for (const field of [
    'dependencies',
    'devDependencies',
    'peerDependencies',
    'optionalDependencies',
  ])
    for (const [name, range] of Object.entries(packed[field] ?? {})) {
      if (privateNames.has(name)) problems.push(`${field} names the private package ${name}`);
      if (String(range).startsWith('workspace:')) problems.push(`${field} keeps ${name}@${range}`);
    }
  for (const [name, script] of Object.entries(packed.scripts ?? {}))
    if (script.includes('../')) problems.push(`script "${name}" points outside the package`);
  return problems;
}

/**
 * Compiles a consumer of every public package's types with the first @types/node 20 (20.0.0) and
 * no skipLibCheck, as an ES module (index.d.ts) and as CommonJS (index.d.cts). Emitted types that
 * need a newer @types/node (`Buffer<ArrayBufferLike>`, a generic diagnostics_channel `Channel`:
 * TS2315 before 20.11) fail here. The registry must answer:
 * without it this check fails, it never passes by skipping.
 */
function checkTypesAgainstOldestNodeTypes() {
  const oldestNodeTypes = '@types/node@20.0.0';
  const typescriptOfItsTime = 'typescript@~5.4.0';
  const project = join(work, 'types-consumer');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'types-consumer', private: true, type: 'module' }),
  );
  try {
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        oldestNodeTypes,
        typescriptOfItsTime,
        ...tarballs.values(),
      ],
      project,
    );
  } catch (error) {
    console.error(
      `types check: cannot install ${oldestNodeTypes} and ${typescriptOfItsTime} from the npm registry; this check needs it and fails rather than skip.\n${error.stderr ?? error.message}`,
    );
    return 1;
  }
  const names = packages.map(({ manifest }) => manifest.name);
  const alias = (name) => name.replace(/\W/g, '_');
  const consumer = (importLine) =>
    `${names.map(importLine).join('\n')}\nexport type Everything = [${names.map((name) => `typeof ${alias(name)}`).join(', ')}];\n`;
  writeFileSync(
    join(project, 'esm-consumer.ts'),
    consumer((name) => `import * as ${alias(name)} from '${name}';`),
  );
  writeFileSync(
    join(project, 'cjs-consumer.cts'),
    consumer((name) => `import ${alias(name)} = require('${name}');`),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['esm-consumer.ts', 'cjs-consumer.cts'],
    }),
  );
  const versionOf = (name) =>
    JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')).version;
  const installed = `@types/node ${versionOf('@types/node')} and TypeScript ${versionOf('typescript')}`;
  try {
    run('node', [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  } catch (error) {
    console.error(
      `types check: the public types do not compile with ${installed}:\n${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    return 1;
  }
  console.log(
    `types check: every public package's types compile with ${installed} (import and require)`,
  );
  return 0;
}
