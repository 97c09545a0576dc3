// Starts a throwaway redis-server on a free loopback port for a benchmark run, unless
// REDIS_URL names one. Persistence is off so the disk does not take part.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** Resolves to { port, stop }; with `cpu`, the server is pinned to that CPU (taskset). */
export async function redisForBench({ cpu } = {}) {
  if (process.env.REDIS_URL)
    return { port: Number(new URL(process.env.REDIS_URL).port || 6379), stop: () => {} };
  const port = await new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
    probe.once('error', reject);
  });
  const serverArgs = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const child =
    cpu === undefined
      ? spawn('redis-server', serverArgs, { stdio: 'ignore' })
      : spawn('taskset', ['-c', String(cpu), 'redis-server', ...serverArgs], { stdio: 'ignore' });
  child.once('error', () => {
    console.error(
      'bench: redis-server is not installed (apt-get install redis-server, or brew install redis)',
    );
    process.exit(1);
  });
  process.once('exit', () => child.kill('SIGKILL'));
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await answers(port)) return { port, stop: () => child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('redis-server did not start');
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
  });
}
