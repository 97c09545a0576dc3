import { type Connection, dial } from '@x/conn';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { scanIterator } from '../../src/index.js';

// Review 2: the first round's fix stops a server that answers SCAN with the cursor it was sent.
// A server (or proxy) that alternates two cursors -- sent 0, answers 5; sent 5, answers 9; sent
// 9, answers 5; ... -- never repeats the cursor it was sent, so the guard never fires: with
// empty batches `next()` never settles while SCAN after SCAN goes out as fast as the server
// answers. The README claims the iterators end with ReplyTypeError on a looping cursor; the
// house bar says no hangs. A cursor seen before in the same iteration means a loop.

let fake: FakeServer | undefined;
let conn: Connection | undefined;
afterEach(async () => {
  conn?.destroy();
  await fake?.close();
});

it('SCAN answered with two cursors in turn (5, 9, 5, 9, ...): the iteration ends, it does not spin', async () => {
  let scans = 0;
  fake = await startFakeServer({
    onCommand: ([name, cursor]) => {
      if (name?.toUpperCase() !== 'SCAN') return 'OK';
      scans++;
      return [String(cursor) === '5' ? '9' : '5', []];
    },
  });
  conn = await dial(fake.url);
  const iterator = scanIterator(conn);
  const outcome = await Promise.race([
    iterator.next().then(
      () => 'settled',
      (error: unknown) => `rejected: ${(error as Error).name}`,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 1 s'), 1_000)),
  ]);
  // Observed: 'still pending after 1 s' with thousands of SCANs sent.
  expect({ outcome, spinning: scans > 10 }).toEqual({
    outcome: 'rejected: ReplyTypeError',
    spinning: false,
  });
});
