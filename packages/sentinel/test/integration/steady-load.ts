/** What a steady load saw: successes, failures by message, and the longest wait between successes. */
export interface LoadReport {
  ok: number;
  failed: number;
  failures: Map<string, number>;
  /** Longest time between two successive successes, or from the first failure to the next success. */
  longestPauseMs: number;
  /** Calls that had not settled when stop() gave up waiting (must be 0). */
  unsettled: number;
}

export interface SteadyLoad {
  stop(settleWithinMs?: number): Promise<LoadReport>;
}

/**
 * Runs `operation` in `lanes` loops, one call at a time each, with `intervalMs` between calls:
 * a steady load through a failover. Failures are counted and the lane goes on.
 */
export function startSteadyLoad(
  operation: (sequence: number) => Promise<unknown>,
  { lanes = 4, intervalMs = 5 } = {},
): SteadyLoad {
  let running = true;
  let sequence = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const failures = new Map<string, number>();
  let lastSuccess = Date.now();
  let longestPauseMs = 0;
  const lane = async () => {
    while (running) {
      inFlight++;
      try {
        await operation(sequence++);
        ok++;
        const now = Date.now();
        longestPauseMs = Math.max(longestPauseMs, now - lastSuccess);
        lastSuccess = now;
      } catch (error) {
        failed++;
        const key = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        failures.set(key, (failures.get(key) ?? 0) + 1);
      } finally {
        inFlight--;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  const done = Promise.all(Array.from({ length: lanes }, lane));
  return {
    async stop(settleWithinMs = 15_000) {
      running = false;
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, settleWithinMs))]);
      return { ok, failed, failures, longestPauseMs, unsettled: inFlight };
    },
  };
}
