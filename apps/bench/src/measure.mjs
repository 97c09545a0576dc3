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
 * Collects, lets one timer turn pass, and collects again. Some garbage is only released by a
 * timer turn (node-redis's per-command AbortSignal.timeout, for one): a single gc() left 7 MiB
 * after 20,000 of its SETs, which the next client's turn then paid for and was charged with.
 */
export async function settle() {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 0));
  globalThis.gc?.();
}

/**
 * The order of the contenders in round `round`: rows of a balanced Latin square (Williams
 * design). Over n rounds (2n when n is odd) each contender takes every position once (twice)
 * and follows every other contender once (twice); a plain rotation (r, r+1, ...) would leave each one behind the same
 * neighbour in every round, and so charge it with whatever that neighbour leaves behind (a full
 * run had @x/conn behind redis-benchmark in four rounds of five, 1.2x slower than @x/client,
 * which matches it when the two run alone).
 *
 *   n = 4:  round 0: 0 1 3 2    round 1: 1 2 0 3    round 2: 2 3 1 0    round 3: 3 0 2 1
 */
export function turnOrder(round, count) {
  // An odd count needs the n rows and then the same rows reversed for every pair to occur.
  const row = round % (count % 2 === 0 ? count : 2 * count);
  const order = [];
  for (let position = 0; position < count; position++) {
    const step = position % 2 === 1 ? (position + 1) / 2 : (count - position / 2) % count;
    order.push(((row % count) + step) % count);
  }
  return row < count ? order : order.reverse();
}

/**
 * Runs `round(contender)` for every contender side by side: one warm-up each, then `rounds`
 * rounds in which they take turns in the order of turnOrder, so that a slow moment of the
 * machine falls on all alike and no contender always follows the same neighbour. The heap
 * is settled between turns, never inside one. Resolves to each contender's median round by rate,
 * with `wrong` and `errors` summed over all its rounds, the warm-up included.
 */
export async function sideBySide(contenders, rounds, round) {
  const warmUps = [];
  for (const contender of contenders) {
    await settle();
    warmUps.push(await round(contender));
  }
  const results = contenders.map(() => []);
  for (let index = 0; index < rounds; index++) {
    for (const turn of turnOrder(index, contenders.length)) {
      await settle();
      results[turn].push(await round(contenders[turn]));
    }
  }
  return results.map((runs, turn) => {
    const sorted = [...runs].sort((a, b) => a.rate - b.rate);
    return { ...sorted[Math.floor(sorted.length / 2)], ...countFailures([warmUps[turn], ...runs]) };
  });
}

/** Wrong replies and errors summed over runs (either may be absent from a run). */
export function countFailures(runs) {
  let wrong = 0;
  let errors = 0;
  for (const run of runs) {
    wrong += run?.wrong ?? 0;
    errors += run?.errors ?? 0;
  }
  return { wrong, errors };
}

/**
 * What one more, untimed `round(contender)` leaves on the heap, in MiB, between settled heaps;
 * with that round's wrong replies and errors, so that a client failing only here still shows.
 */
export async function heapGrowth(contender, round) {
  await settle();
  const before = memory();
  const run = await round(contender);
  await settle();
  return { heapGrowthMiB: memory().heapMiB - before.heapMiB, ...countFailures([run]) };
}

/** Heap and RSS in MiB right now, after a collection when --expose-gc is on. */
export function memory() {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 };
}
