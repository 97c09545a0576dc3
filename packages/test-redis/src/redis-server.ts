import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** RedisServerOptions says how to start a throwaway redis-server. */
export interface RedisServerOptions {
  /** Listen on a Unix socket in the temp dir instead of a loopback TCP port. */
  unixSocket?: boolean;
  /** Extra command-line arguments, such as `['--requirepass', 'secret']`. */
  args?: string[];
  /** How long to wait for the server to accept connections. Default 10 s. */
  startTimeoutMs?: number;
  /**
   * A config file's text, written to the server's directory and passed first: a Sentinel needs
   * one it can rewrite (with `args: ['--sentinel']`).
   */
  configText?: string;
  /**
   * Runs in cluster mode (`--cluster-enabled yes`) with the cluster bus on a second free port:
   * the default, port + 10000, may be over 65535 or taken.
   */
  cluster?: boolean;
}

/** RedisServer is a running redis-server that a test owns. */
export interface RedisServer {
  readonly host: string;
  /** The TCP port; 0 when the server listens only on a Unix socket. */
  readonly port: number;
  /** The Unix socket path, when asked for. */
  readonly socketPath: string | undefined;
  /** The cluster bus port when started with `cluster: true`, else undefined. */
  readonly clusterPort: number | undefined;
  /** A redis:// or unix:// URL for the server. */
  readonly url: string;
  readonly pid: number;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server with `signal` and starts it again on the same port (fault tests). */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server with `signal` (default SIGKILL), keeping its port and files for restart(). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** RedisServerNotFoundError says that no redis-server binary is on PATH. */
export class RedisServerNotFoundError extends Error {
  override name = 'RedisServerNotFoundError';
  constructor() {
    super(
      'redis-server is not installed or not on PATH; install it (apt-get install redis-server, or brew install redis) or set REDIS_URL',
    );
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Reports whether a redis-server binary can be run. */
export function hasRedisServer(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** Starts redis-server on a free loopback port (or a Unix socket) and waits until it answers. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!hasRedisServer()) throw new RedisServerNotFoundError();
  const directory = mkdtempSync(join(tmpdir(), 'x-redis-'));
  const socketPath = options.unixSocket ? join(directory, 'redis.sock') : undefined;
  const host = '127.0.0.1';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let port = 0;
  let clusterPort: number | undefined;
  let child: ChildProcess | undefined;
  const configFile: string[] = [];
  if (options.configText !== undefined) {
    configFile.push(join(directory, 'redis.conf'));
    writeFileSync(configFile[0] as string, options.configText);
  }

  const launch = async (): Promise<void> => {
    const listen = socketPath
      ? ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700']
      : ['--port', String(port), '--bind', host];
    const cluster =
      clusterPort === undefined
        ? []
        : ['--cluster-enabled', 'yes', '--cluster-port', String(clusterPort)];
    const args = [
      ...configFile,
      ...listen,
      ...cluster,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      directory,
      '--enable-debug-command',
      'local',
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    running.add(started);
    let output = '';
    started.stdout?.on('data', (data: Buffer) => {
      output += data.toString();
    });
    started.stderr?.on('data', (data: Buffer) => {
      output += data.toString();
    });
    started.once('exit', () => running.delete(started));
    await waitUntilReady(started, { host, port, socketPath }, timeoutMs, () => output);
  };

  for (let attempt = 1; ; attempt++) {
    if (!socketPath) port = await freePort(host);
    if (options.cluster) {
      do clusterPort = await freePort(host);
      while (clusterPort === port);
    }
    try {
      await launch();
      break;
    } catch (error) {
      child?.kill('SIGKILL');
      // Another process may have taken the free port between our probe and the server's bind.
      if (attempt >= 3) {
        rmSync(directory, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    host,
    port,
    socketPath,
    clusterPort,
    url: socketPath ? `unix://${socketPath}` : `redis://${host}:${port}`,
    get pid() {
      return child?.pid ?? 0;
    },
    async stop() {
      await stopChild('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
    async kill(signal = 'SIGKILL') {
      await stopChild(signal);
    },
    async restart(signal = 'SIGKILL') {
      await stopChild(signal);
      await launch();
    },
  };
}

interface Endpoint {
  host: string;
  port: number;
  socketPath: string | undefined;
}

async function waitUntilReady(
  child: ChildProcess,
  endpoint: Endpoint,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redis-server exited at start: ${output().trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    if (await answersPing(endpoint)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not answer within ${timeoutMs} ms`);
}

function answersPing(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = endpoint.socketPath
      ? connect(endpoint.socketPath)
      : connect(endpoint.port, endpoint.host);
    let received = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      received += data.toString();
      // A password-protected server answers NOAUTH: it is up all the same.
      if (received.includes('\r\n'))
        finish(received.startsWith('+PONG') || received.startsWith('-NOAUTH'));
    });
  });
}
