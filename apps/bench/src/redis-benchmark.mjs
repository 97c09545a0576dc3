// redis-benchmark is the server's own load generator, in C: the reference a client is measured
// against (a C loop with no promises; not a ceiling: a client pipelining deeper can pass it).
import { execFileSync } from 'node:child_process';

/**
 * Runs redis-benchmark with one connection and `pipeline` depth for `test` ('set', or 'set,get'
 * for the client scenarios' SET-then-GET: their rate is then all requests over both tests'
 * time, with the larger of their latency percentiles). `keyspace` spreads the keys over that
 * many (`-r`), as the clients' scenarios do; without it every request uses one key.
 * redis-benchmark reports requests over whole milliseconds: give it enough requests to last
 * hundreds of them.
 */
export function redisBenchmark(
  port,
  { requests, pipeline, valueBytes = 16, test = 'set', keyspace = 0 },
) {
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
      ...(keyspace > 0 ? ['-r', String(keyspace)] : []),
      '--csv',
    ],
    { encoding: 'utf8' },
  );
  const rows = test.split(',').map((name) => {
    const line = output
      .trim()
      .split('\n')
      .find((row) => row.startsWith(`"${name.toUpperCase()}"`));
    const fields = (line ?? '').replaceAll('"', '').split(',');
    return { rate: Number(fields[1]), p50Ms: Number(fields[4]), p99Ms: Number(fields[6]) };
  });
  const seconds = rows.reduce((sum, row) => sum + requests / row.rate, 0);
  return {
    rate: (rows.length * requests) / seconds,
    p50Ms: Math.max(...rows.map((row) => row.p50Ms)),
    p99Ms: Math.max(...rows.map((row) => row.p99Ms)),
  };
}
