import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Records a measured figure for RELIABILITY.md: printed, and appended as a JSON line to
 * .turbo/reliability-figures.jsonl at the repository root.
 */
export function recordFigure(name: string, figures: Record<string, number | string>): void {
  const directory = join(import.meta.dirname, '../../../.turbo');
  mkdirSync(directory, { recursive: true });
  appendFileSync(
    join(directory, 'reliability-figures.jsonl'),
    `${JSON.stringify({ name, ...figures })}\n`,
  );
  console.log(`[figure] ${name}: ${JSON.stringify(figures)}`);
}
