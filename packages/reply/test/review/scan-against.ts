import { type Connection, dial } from '@x/conn';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach } from 'vitest';
import { scanIterator } from '../../src/index.js';

/** How the first `next()` of a SCAN walk ended, and how many SCANs the server got by then. */
export interface ScanOutcome {
  outcome: string;
  scans: number;
}

/**
 * Gives a function that walks SCAN against a fake server answering each SCAN with the cursor
 * `answer` picks (from the cursor sent) and no keys, and reports how the first `next()` ended
 * within `waitMs`. The fake server and connection are closed after each test.
 */
export function useScanAgainst(): (
  answer: (sent: string) => string,
  waitMs: number,
) => Promise<ScanOutcome> {
  let fake: FakeServer | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.destroy();
    await fake?.close();
  });
  return async (answer, waitMs) => {
    let scans = 0;
    fake = await startFakeServer({
      onCommand: ([name, cursor]) => {
        if (name?.toUpperCase() !== 'SCAN') return 'OK';
        scans++;
        return [answer(String(cursor)), []];
      },
    });
    conn = await dial(fake.url);
    const iterator = scanIterator(conn);
    const outcome = await Promise.race([
      iterator.next().then(
        () => 'settled',
        (error: unknown) => `rejected: ${(error as Error).name}`,
      ),
      new Promise<string>((resolve) =>
        setTimeout(() => resolve(`still pending after ${waitMs} ms`), waitMs),
      ),
    ]);
    return { outcome, scans };
  };
}
