import type { RunResult } from './run.js';

/** Formats results as the table the command line prints. */
export function formatTable(results: readonly RunResult[]): string {
  const header = ['strategy', 'pops', 'pops/s', 'EXEC retries', 'p50 ms', 'p99 ms', 'exactly once'];
  const rows = results.map((result) => [
    result.strategy,
    String(result.popped),
    String(Math.round(result.popsPerSecond)),
    String(result.execRetries),
    result.p50Ms.toFixed(2),
    result.p99Ms.toFixed(2),
    result.exactlyOnce ? 'yes' : `NO (${result.missing} missing, ${result.duplicates} duplicates)`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}
