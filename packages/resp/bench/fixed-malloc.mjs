// glibc adapts its mmap and trim thresholds to what a process frees, so the 100 KiB codec rows
// measured the allocator (3.7x to 10.6x apart between runs). Fixed thresholds must be in the
// environment when the process starts (glibc reads them then): without them, run this same
// process again with them and exit with its status.
import { spawnSync } from 'node:child_process';

export const fixedMallocSettings = {
  MALLOC_MMAP_THRESHOLD_: '4194304',
  MALLOC_TRIM_THRESHOLD_: '67108864',
};

/** Returns at once when the thresholds are set (or not on glibc); otherwise never returns. */
export function runWithFixedMalloc() {
  if (process.platform !== 'linux' || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined) return;
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...fixedMallocSettings },
  });
  process.exit(again.status ?? 1);
}
