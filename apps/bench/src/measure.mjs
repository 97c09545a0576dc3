// Small statistics helpers for the benchmarks: medians over rounds, percentiles, memory.

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The value below which `fraction` of the sorted samples fall. */
export function percentile(sorted, fraction) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** Runs `round` once to warm up, then `rounds` times; resolves to the median result by `key`. */
export async function medianRound(rounds, round, key = (result) => result.rate) {
  await round();
  const results = [];
  for (let index = 0; index < rounds; index++) {
    globalThis.gc?.();
    results.push(await round());
  }
  results.sort((a, b) => key(a) - key(b));
  return results[Math.floor(results.length / 2)];
}

/** Heap and RSS in MiB right now, after a collection when --expose-gc is on. */
export function memory() {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 };
}
