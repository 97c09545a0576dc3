import type { Client } from '@x/client';
import type { Conn } from '@x/conn';
import { type StrategyName, strategies } from './strategy.js';

/** RunResult is what one strategy did: speed, retries, latency, and the exactly-once check. */
export interface RunResult {
  strategy: StrategyName;
  members: number;
  workers: number;
  popped: number;
  durationMs: number;
  popsPerSecond: number;
  execRetries: number;
  p50Ms: number;
  p99Ms: number;
  /** Members seeded but never popped. */
  missing: number;
  /** Members popped more than once. */
  duplicates: number;
  exactlyOnce: boolean;
}

/** The name of the i-th member; zero-padded so that names sort like scores. */
export const memberName = (index: number) => `member:${String(index).padStart(7, '0')}`;

/** Replaces `key` with a sorted set of `count` members scored 0..count-1. */
export async function seed(
  conn: Pick<Conn, 'do' | 'pipeline'>,
  key: string,
  count: number,
): Promise<void> {
  await conn.do('DEL', key);
  const pipeline = conn.pipeline();
  for (let start = 0; start < count; start += 1_000) {
    const entries: (string | number)[] = [];
    for (let index = start; index < Math.min(count, start + 1_000); index++)
      entries.push(index, memberName(index));
    pipeline.send('ZADD', key, entries);
  }
  await pipeline.receiveAll();
}

/**
 * Seeds the set, then lets `workers` concurrent workers pop through the client until it is
 * empty; checks every member was popped exactly once.
 */
export async function runStrategy(options: {
  client: Client;
  key: string;
  members: number;
  workers: number;
  strategy: StrategyName;
  onProgress?: (popped: number) => void;
}): Promise<RunResult> {
  const { client, key, members, workers, strategy } = options;
  const pop = strategies[strategy];
  await seed(client, key, members);

  const popped: string[] = [];
  const latenciesMs: number[] = [];
  let execRetries = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const popStarted = performance.now();
      const result = await pop(client, key);
      if (result.member === null) return;
      latenciesMs.push(performance.now() - popStarted);
      execRetries += result.retries;
      popped.push(result.member);
      options.onProgress?.(popped.length);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const durationMs = performance.now() - started;

  const unique = new Set(popped);
  let missing = 0;
  for (let index = 0; index < members; index++) if (!unique.has(memberName(index))) missing++;
  const duplicates = popped.length - unique.size;
  latenciesMs.sort((a, b) => a - b);
  return {
    strategy,
    members,
    workers,
    popped: popped.length,
    durationMs,
    popsPerSecond: popped.length / (durationMs / 1000),
    execRetries,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    missing,
    duplicates,
    exactlyOnce: missing === 0 && duplicates === 0 && popped.length === members,
  };
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}
