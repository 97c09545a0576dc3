import { expect, it } from 'vitest';
import { useScanAgainst } from './scan-against.js';

// Review: a server (or a proxy in front of one) that answers SCAN with the same non-zero cursor
// forever, or with a zero cursor spelled "00", makes the iteration loop for ever. With empty
// batches the pending next() never settles, while SCAN after SCAN goes out as fast as the
// server answers. House bar: "no hangs; every pending promise settles within a bound you can
// state", "bad input gets a clear typed error".

const scanAgainst = useScanAgainst();

it('SCAN answered with cursor 7 and no keys, again and again: the iteration ends with an error', async () => {
  const { outcome, scans } = await scanAgainst(() => '7', 1_500);
  // Observed before the fix: 'still pending after 1.5 s', with thousands of SCANs sent.
  expect({ outcome, scans }).toEqual({ outcome: 'rejected: ReplyTypeError', scans: 2 });
});

it('SCAN answered with cursor "00" ends the iteration: zero spelled with two digits is the end', async () => {
  const { outcome, scans } = await scanAgainst(() => '00', 1_500);
  expect({ outcome, scans }).toEqual({ outcome: 'settled', scans: 1 });
});
