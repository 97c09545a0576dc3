import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** Where the app found Redis, and how to let go of it. */
export interface FoundRedis {
  url: string;
  /** Stops the throwaway server, if the app started one. */
  stop: () => void;
  startedServer: boolean;
}

/** FindRedisOptions exists for tests: the environment and the default address to probe. */
export interface FindRedisOptions {
  env?: NodeJS.ProcessEnv;
  defaultPort?: number;
  redisServer?: string;
}

/**
 * Finds Redis at REDIS_URL, else at 127.0.0.1:6379, else starts a throwaway redis-server from
 * PATH on a free port (stopped on exit, Ctrl-C included). Rejects with a one-line reason otherwise.
 */
export async function findRedis(options: FindRedisOptions = {}): Promise<FoundRedis> {
  const env = options.env ?? process.env;
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: () => {}, startedServer: false };
  const defaultPort = options.defaultPort ?? 6379;
  if (await answersPing(defaultPort)) {
    return { url: `redis://127.0.0.1:${defaultPort}`, stop: () => {}, startedServer: false };
  }
  return startThrowawayServer(options.redisServer ?? 'redis-server', defaultPort);
}

async function startThrowawayServer(binary: string, defaultPort: number): Promise<FoundRedis> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const notInstalled = new Promise<never>((_, reject) =>
    child.once('error', () =>
      reject(
        new Error(
          `no Redis at REDIS_URL or 127.0.0.1:${defaultPort}, and redis-server is not installed (apt-get install redis-server, or brew install redis)`,
        ),
      ),
    ),
  );
  notInstalled.catch(() => {});
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  for (let attempt = 0; attempt < 200; attempt++) {
    const ready = await Promise.race([answersPing(port), notInstalled]);
    if (ready) return { url: `redis://127.0.0.1:${port}`, stop, startedServer: true };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  stop();
  throw new Error(`redis-server did not start on port ${port}`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}
