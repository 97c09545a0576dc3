// redis-benchmark is the server's own load generator, in C: the ceiling a client can approach.
import { execFileSync } from 'node:child_process';

/** Runs redis-benchmark for SET of `valueBytes` with one connection and `pipeline` depth. */
export function redisBenchmark(port, { requests, pipeline, valueBytes = 16, test = 'set' }) {
  const output = execFileSync(
    'redis-benchmark',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      test,
      '-n',
      String(requests),
      '-c',
      '1',
      '-P',
      String(pipeline),
      '-d',
      String(valueBytes),
      '--csv',
    ],
    { encoding: 'utf8' },
  );
  const line = output
    .trim()
    .split('\n')
    .find((row) => row.startsWith(`"${test.toUpperCase()}"`));
  const fields = (line ?? '').replaceAll('"', '').split(',');
  return { rate: Number(fields[1]), p50Ms: Number(fields[4]), p99Ms: Number(fields[6]) };
}
