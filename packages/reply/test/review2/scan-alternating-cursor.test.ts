import { expect, it } from 'vitest';
import { useScanAgainst } from '../review/scan-against.js';

// Review 2: the first round's fix stops a server that answers SCAN with the cursor it was sent.
// A server (or proxy) that alternates two cursors -- sent 0, answers 5; sent 5, answers 9; sent
// 9, answers 5; ... -- never repeats the cursor it was sent, so the guard never fires: with
// empty batches `next()` never settles while SCAN after SCAN goes out as fast as the server
// answers. The README claims the iterators end with ReplyTypeError on a looping cursor; the
// house bar says no hangs. A cursor seen before in the same iteration means a loop.

const scanAgainst = useScanAgainst();

it('SCAN answered with two cursors in turn (5, 9, 5, 9, ...): the iteration ends, it does not spin', async () => {
  const { outcome, scans } = await scanAgainst((sent) => (sent === '5' ? '9' : '5'), 1_000);
  // Observed: 'still pending after 1 s' with thousands of SCANs sent.
  expect({ outcome, spinning: scans > 10 }).toEqual({
    outcome: 'rejected: ReplyTypeError',
    spinning: false,
  });
});
