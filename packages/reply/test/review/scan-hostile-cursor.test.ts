import { type Connection, dial } from '@x/conn';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { scanIterator } from '../../src/index.js';

// Review: a server (or a proxy in front of one) that answers SCAN with the same non-zero cursor
// forever, or with a zero cursor spelled "00", makes the iteration loop for ever. With empty
// batches the pending next() never settles, while SCAN after SCAN goes out as fast as the
// server answers. House bar: "no hangs; every pending promise settles within a bound you can
// state", "bad input gets a clear typed error".

let fake: FakeServer | undefined;
let conn: Connection | undefined;
afterEach(async () => {
  conn?.destroy();
  await fake?.close();
});

async function scanAgainst(cursor: string): Promise<{ outcome: string; scans: number }> {
  let scans = 0;
  fake = await startFakeServer({
    onCommand: ([name]) => {
      if (name?.toUpperCase() !== 'SCAN') return 'OK';
      scans++;
      return [cursor, []];
    },
  });
  conn = await dial(fake.url);
  const iterator = scanIterator(conn);
  const outcome = await Promise.race([
    iterator.next().then(
      () => 'settled',
      (error: unknown) => `rejected: ${(error as Error).name}`,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 1.5 s'), 1_500)),
  ]);
  return { outcome, scans };
}

it('SCAN answered with cursor 7 and no keys, again and again: the iteration ends with an error', async () => {
  const { outcome, scans } = await scanAgainst('7');
  // Observed before the fix: 'still pending after 1.5 s', with thousands of SCANs sent.
  expect({ outcome, scans }).toEqual({ outcome: 'rejected: ReplyTypeError', scans: 2 });
});

it('SCAN answered with cursor "00" ends the iteration: zero spelled with two digits is the end', async () => {
  const { outcome, scans } = await scanAgainst('00');
  expect({ outcome, scans }).toEqual({ outcome: 'settled', scans: 1 });
});
