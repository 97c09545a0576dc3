// Finds a Redis to talk to: REDIS_URL, else 127.0.0.1:6379, else a throwaway redis-server
// started from PATH on a free port and stopped on exit.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** Resolves to { host, port, stop } or rejects with a one-line explanation. */
export async function findRedis() {
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379), stop: () => {} };
  }
  if (await answers('127.0.0.1', 6379)) return { host: '127.0.0.1', port: 6379, stop: () => {} };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
    {
      stdio: 'ignore',
    },
  );
  const spawnFailed = new Promise((_, reject) =>
    child.once('error', () =>
      reject(
        new Error(
          'no Redis at REDIS_URL or 127.0.0.1:6379, and redis-server is not installed (apt-get install redis-server, or brew install redis)',
        ),
      ),
    ),
  );
  const stop = () => child.kill('SIGTERM');
  process.once('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  for (let attempt = 0; attempt < 200; attempt++) {
    const ready = await Promise.race([answers('127.0.0.1', port), spawnFailed]);
    if (ready) return { host: '127.0.0.1', port, stop };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  stop();
  throw new Error(`redis-server started on port ${port} but did not answer`);
}

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) =>
      finish(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')),
    );
    function finish(ok) {
      socket.destroy();
      resolve(ok);
    }
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
