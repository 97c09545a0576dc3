// DEFECT: a +switch-master message for the watched master is acted on whatever its addresses
// say. "mymaster a b c d" (ports that are not numbers) or a message with a doubled space (which
// shifts every field) yields a "promoted" address like "c:NaN", so every connection to the
// real, unchanged master is destroyed and the calls in flight on it fail with ConnectionError.
// Bad input should be ignored (the watch is only an accelerator) and lose nothing.
import { createClient } from '@x/client';
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { sleep, until, useMasterAndSentinel } from './helpers.js';

const setup = useMasterAndSentinel();

it.each([
  ['ports that are not numbers', () => 'mymaster a b c d'],
  [
    'a doubled space, same address',
    () => `mymaster  127.0.0.1 ${setup.master.port} 127.0.0.1 ${setup.master.port}`,
  ],
  ['an empty new host', () => `mymaster 127.0.0.1 ${setup.master.port}  ${setup.master.port}`],
])('a malformed +switch-master (%s) does not fail the calls in flight', async (_, payload) => {
  const client = createClient(
    sentinelDial({ sentinels: [setup.sentinel.address], masterName: 'mymaster' }),
  );
  try {
    await client.do('PING');
    await until('the watch to subscribe', () => setup.sentinel.subscribed().length > 0);
    const inFlight = client.do('DEBUG', 'SLEEP', '0.3').then(
      () => 'ok',
      (error: unknown) => String(error),
    );
    await sleep(50);
    setup.sentinel.announceSwitch(payload());
    // Observed: "ConnectionError: connection destroyed".
    expect(await inFlight).toBe('ok');
  } finally {
    await client.close();
    await until('the watch to stop', () => setup.sentinel.subscribed().length === 0);
  }
});
