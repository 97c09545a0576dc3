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

/**
 * Runs `round(contender)` for every contender side by side: one warm-up each, then `rounds`
 * rounds in which they take turns, the order reversed every other round, so that a slow moment
 * of the machine falls on all alike. Collections run between turns, never inside one. Resolves
 * to each contender's median round by rate, with `wrong` summed over all its rounds.
 */
export async function sideBySide(contenders, rounds, round) {
  for (const contender of contenders) await round(contender);
  const results = contenders.map(() => []);
  const forward = contenders.map((_, index) => index);
  for (let index = 0; index < rounds; index++) {
    for (const turn of index % 2 === 0 ? forward : [...forward].reverse()) {
      globalThis.gc?.();
      results[turn].push(await round(contenders[turn]));
    }
  }
  return results.map((runs) => {
    const sorted = [...runs].sort((a, b) => a.rate - b.rate);
    const wrong = runs.reduce((sum, run) => sum + (run.wrong ?? 0), 0);
    return { ...sorted[Math.floor(sorted.length / 2)], wrong };
  });
}

/** Heap and RSS in MiB right now, after a collection when --expose-gc is on. */
export function memory() {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 };
}
