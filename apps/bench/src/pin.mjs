// Pinning for the benchmarks: the client process on one CPU, the server(s) on another.
import { execFileSync } from 'node:child_process';

/**
 * Pins every thread of `pid` to `cpu` with taskset (-a: V8's collector and compiler threads, and
 * a native client's own, too, not only the main thread); false, with a warning naming `label`,
 * when that cannot be done here.
 */
export function pin(pid, cpu, label = 'bench') {
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    console.error(`${label}: pinning needs taskset (util-linux) and two CPUs; running unpinned`);
    return false;
  }
}
