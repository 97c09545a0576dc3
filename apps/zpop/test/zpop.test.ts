import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Client, createClient } from '@x/client';
import { type Connection, dial } from '@x/conn';
import { Pool, type PooledConn } from '@x/pool';
import type { Arg } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedis } from '../src/find-redis.js';
import { memberName, type RunResult, runStrategy, seed } from '../src/run.js';
import { type StrategyName, strategies } from '../src/strategy.js';
import { zpopWatch } from '../src/zpop-watch.js';

const run = promisify(execFile);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const names = Object.keys(strategies) as StrategyName[];

const redis = useRedisServer();
let conn: Connection;
let client: Client;
beforeAll(async () => {
  conn = await dial(redis.url);
  client = createClient(redis.url, { exclusive: { maxActive: 20, maxIdle: 20 } });
});
afterAll(async () => {
  await conn?.close();
  await client?.close();
});

describe.each(names)('%s strategy', (name) => {
  const pop = strategies[name];

  it('pops members in score order, then nil', async () => {
    const key = `order:${name}`;
    await seed(conn, key, 5);
    const popped: (string | null)[] = [];
    for (let index = 0; index < 6; index++) popped.push((await pop(client, key)).member);
    expect(popped).toEqual([...[0, 1, 2, 3, 4].map(memberName), null]);
  });

  it('returns nil for an empty or missing set', async () => {
    expect((await pop(client, `missing:${name}`)).member).toBeNull();
    await conn.do('ZADD', `emptied:${name}`, 1, 'only');
    await conn.do('ZREM', `emptied:${name}`, 'only');
    expect((await pop(client, `emptied:${name}`)).member).toBeNull();
  });

  it('pops every member exactly once with 20 workers and 2,000 members', async () => {
    const result: RunResult = await runStrategy({
      client,
      key: `contended:${name}`,
      members: 2_000,
      workers: 20,
      strategy: name,
    });
    expect(result).toMatchObject({ popped: 2_000, missing: 0, duplicates: 0, exactlyOnce: true });
    if (name === 'watch') expect(result.execRetries).toBeGreaterThan(0);
    else expect(result.execRetries).toBe(0);
    expect(await conn.do('EXISTS', `contended:${name}`)).toBe(0);
  });
});

describe('WATCH on a shared connection', () => {
  it('does not compile, and the client refuses it at run time', async () => {
    // @ts-expect-error zpopWatch takes a connection of its own, not the shared client.
    const shared = zpopWatch(client, 'shared-watch');
    await expect(shared).rejects.toMatchObject({ code: 'ERR_NEEDS_OWN_CONNECTION' });
  });
});

describe('a worker error', () => {
  it('leaves its pooled connection clean: no open MULTI, nothing watched', async () => {
    const pool = new Pool({ dial: () => dial(redis.url), maxActive: 1 });
    const key = 'failing';
    await seed(conn, key, 3);
    await expect(
      pool.use((borrowed) => {
        // Fails the way a crashed worker would: after MULTI and ZREM are queued, before EXEC.
        const failing = {
          send: (command: string, ...args: Arg[]) => borrowed.send(command, ...args),
          do: (command: string, ...args: Arg[]) =>
            command === 'EXEC'
              ? Promise.reject(new Error('worker crashed'))
              : borrowed.do(command, ...args),
        } as unknown as PooledConn;
        return zpopWatch(failing, key);
      }),
    ).rejects.toThrow('worker crashed');
    await pool.use(async (next) => {
      expect(await next.do('SET', 'after-crash', 'v')).toBe('OK');
      await conn.do('ZADD', key, 100, 'changed-by-someone-else');
      next.send('MULTI');
      next.send('ZCARD', key);
      expect(await next.do('EXEC')).toEqual([4]);
    });
    await pool.close();
  });
});

describe('the command line', () => {
  it('runs every strategy and proves exactly-once', async () => {
    const { stdout } = await run('node', [
      cli,
      '--url',
      redis.url,
      '-n',
      '300',
      '-w',
      '5',
      '--json',
    ]);
    const results = JSON.parse(stdout) as RunResult[];
    expect(results.map((result) => result.strategy)).toEqual(names);
    expect(results.every((result) => result.exactlyOnce && result.popped === 300)).toBe(true);
  });

  it('prints a table, and help', async () => {
    const { stdout } = await run('node', [
      cli,
      '--url',
      redis.url,
      '-n',
      '50',
      '-w',
      '2',
      '-s',
      'native',
    ]);
    expect(stdout).toMatch(
      /strategy\s+pops\s+pops\/s\s+EXEC retries\s+p50 ms\s+p99 ms\s+exactly once/,
    );
    expect(stdout).toMatch(/native\s+50\s+\d+\s+0\s/);
    const help = await run('node', [cli, '--', '--help']);
    expect(help.stdout).toContain('Usage: zpop');
  });

  it('says what is wrong in one line and exits non-zero', async () => {
    const failure = await run('node', [cli, '-s', 'quantum']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr.trim()).toBe(
      'zpop: --strategy must be one of watch, script, native or all',
    );
    const unreachable = await run('node', [cli, '--url', 'redis://127.0.0.1:1', '-n', '5']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(unreachable).toMatchObject({ code: 1 });
    expect((unreachable as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('findRedis', () => {
  it('uses REDIS_URL first', async () => {
    expect(await findRedis({ env: { REDIS_URL: 'redis://example:1' } })).toMatchObject({
      url: 'redis://example:1',
      startedServer: false,
    });
  });

  it('uses the default port when something answers there', async () => {
    const found = await findRedis({ env: {}, defaultPort: redis.server.port });
    expect(found).toMatchObject({
      url: `redis://127.0.0.1:${redis.server.port}`,
      startedServer: false,
    });
  });

  it('starts and stops a throwaway redis-server when nothing answers', async () => {
    const found = await findRedis({ env: {}, defaultPort: 1 });
    expect(found.startedServer).toBe(true);
    const throwaway = await dial(found.url);
    expect(await throwaway.do('PING')).toBe('PONG');
    await throwaway.close();
    found.stop();
    await expect
      .poll(() =>
        dial(found.url)
          .then((c) => c.close())
          .then(
            () => 'up',
            () => 'down',
          ),
      )
      .toBe('down');
  });

  it('explains in one line when redis-server is missing', async () => {
    await expect(
      findRedis({ env: {}, defaultPort: 1, redisServer: 'no-such-redis-server' }),
    ).rejects.toThrow(
      /^no Redis at REDIS_URL or 127\.0\.0\.1:1, and redis-server is not installed/,
    );
  });
});
