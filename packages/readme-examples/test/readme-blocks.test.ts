// Every ```ts and ```js block of every public README (and the root README) runs as a reader would
// run it: the packed tarballs are installed into an empty folder with only what the README's
// `npm install` line names (with npm, which hoists, and with pnpm, which does not), each block is
// stripped of its types and run as an ES module against a real redis-server, and must exit 0.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  openRawClient,
  type RedisCluster,
  type SentinelGroup,
  startRedisCluster,
  startSentinelGroup,
  useRedisServer,
} from '@x/test-redis';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pack, publicPackages, root, workspaceClosure } from '../../../scripts/packages.mjs';
import {
  type CodeBlock,
  readReadmeExamples,
  usesCluster,
  usesSentinels,
  useTestPort,
} from '../src/readme-blocks.js';

const blockTimeoutMs = 20_000;
const installers = ['npm', 'pnpm'] as const;
type Installer = (typeof installers)[number];

const packages = publicPackages();
const readmes = [join(root, 'README.md'), ...packages.map(({ dir }) => join(dir, 'README.md'))]
  .filter((path) => existsSync(path))
  .map((path) => ({
    path,
    name: relative(root, path),
    ...readReadmeExamples(readFileSync(path, 'utf8')),
  }))
  .filter(({ blocks }) => blocks.length > 0);

const redis = useRedisServer();
// Blocks that name sentinel ports get a master, a replica and three sentinels of their own.
let sentinels: SentinelGroup | undefined;
// Blocks that name cluster ports get a 3-master cluster of their own.
let cluster: RedisCluster | undefined;
const work = mkdtempSync(join(tmpdir(), 'x-readme-examples-'));
const tarballs = new Map<string, string>();

beforeAll(async () => {
  if (readmes.some(({ blocks }) => blocks.some((block) => usesSentinels(block.code)))) {
    sentinels = await startSentinelGroup();
    await sentinels.settled();
  }
  if (readmes.some(({ blocks }) => blocks.some((block) => usesCluster(block.code))))
    cluster = await startRedisCluster({ replicasPerMaster: 0 });
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(dir, 'dist')))
      throw new Error(`${manifest.name} is not built: run pnpm build first`);
    tarballs.set(manifest.name, pack(dir, work));
  }
  // Packing every package, a sentinel group and a cluster take longer than one hook's default.
}, 60_000);

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await sentinels?.stop();
  await cluster?.stop();
});

for (const readme of readmes) {
  for (const installer of installers) {
    describe(`${readme.name} installed with ${installer} (${readme.installs.join(' ') || 'nothing'})`, () => {
      const project = join(work, `${readme.name.replace(/\W/g, '-')}-${installer}`);
      beforeAll(() => install(project, readme.installs, installer));
      for (const block of readme.blocks) {
        const title = `block at line ${block.line}`;
        if (block.notRun !== undefined) it.skip(`${title} (not run: ${block.notRun})`);
        else it(title, () => runBlock(project, block), blockTimeoutMs + 10_000);
      }
    });
  }
}

/**
 * Installs `names` from their tarballs into an empty folder; their workspace dependencies come
 * from tarballs too (overrides), but only `names` are direct dependencies.
 */
async function install(project: string, names: string[], installer: Installer): Promise<void> {
  mkdirSync(project);
  const spec = (name: string) => {
    const tarball = tarballs.get(name);
    if (tarball === undefined)
      throw new Error(`the install line names ${name}, which is not a public package`);
    return `file:${tarball}`;
  };
  const closure = new Set(names.flatMap((name) => [...workspaceClosure(packages, name)]));
  const overrides = Object.fromEntries([...closure].map((name) => [name, spec(name)]));
  const manifest = {
    name: 'readme-reader',
    private: true,
    dependencies: Object.fromEntries(names.map((name) => [name, spec(name)])),
    ...(installer === 'npm' ? { overrides } : { pnpm: { overrides } }),
  };
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  const args =
    installer === 'npm'
      ? ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline']
      : ['install', '--prefer-offline', '--reporter=silent'];
  await command(installer, args, project, 120_000);
}

/** Runs one block as an ES module in `project` against a flushed server. */
async function runBlock(project: string, block: CodeBlock): Promise<void> {
  const masterPort = sentinels === undefined ? [] : [await sentinels.currentMasterPort()];
  const clusterPorts = cluster?.nodes.map((node) => node.port) ?? [];
  for (const port of [redis.server.port, ...masterPort, ...clusterPorts]) {
    const client = await openRawClient(port);
    try {
      await client.call('FLUSHALL');
      await client.call('FUNCTION', 'FLUSH');
      await client.call('SCRIPT', 'FLUSH');
    } finally {
      client.close();
    }
  }
  const sentinelPorts = sentinels?.sentinels.map((sentinel) => sentinel.port) ?? [];
  const code = useTestPort(block.code, redis.server.port, sentinelPorts, clusterPorts);
  const { code: javascript } = await transform(code, {
    loader: block.language,
    format: 'esm',
    target: 'node20',
  });
  const file = join(project, `block-${block.line}.mjs`);
  writeFileSync(file, javascript);
  await command('node', [file], project, blockTimeoutMs);
}

/** Runs a command; rejects with its output when it fails or outlives `timeoutMs`. */
function command(file: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  // The package managers of the workspace run this test: keep their settings out of the reader's.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|PNPM_|NODE_OPTIONS$)/i.test(key)),
  );
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        // README_EXAMPLES_OUTPUT=1 shows what each block prints, to compare with its comments.
        if (process.env.README_EXAMPLES_OUTPUT && file === 'node')
          console.log(`${args[0]}:\n${stdout}${stderr}`);
        if (error === null) return resolve();
        const how = error.killed
          ? `did not finish within ${timeoutMs} ms`
          : `exited with ${error.code}`;
        const output = `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${file} ${args.join(' ')} ${how}:\n${output}`));
      },
    );
  });
}
