// DEFECT: a +switch-master message for the watched master is acted on whatever its addresses
// say. "mymaster a b c d" (ports that are not numbers) or a message with a doubled space (which
// shifts every field) yields a "promoted" address like "c:NaN", so every connection to the
// real, unchanged master is destroyed and the calls in flight on it fail with ConnectionError.
// Bad input should be ignored (the watch is only an accelerator) and lose nothing.
import { createClient } from '@x/client';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { type ReviewSentinel, sleep, startReviewSentinel, until } from './helpers.js';

let x: RedisServer;
let sentinel: ReviewSentinel;
beforeAll(async () => {
  x = await startRedisServer();
  sentinel = await startReviewSentinel(() => [x.host, String(x.port)]);
});
afterAll(async () => {
  await sentinel?.close();
  await x?.stop();
});

it.each([
  ['ports that are not numbers', () => 'mymaster a b c d'],
  ['a doubled space, same address', () => `mymaster  127.0.0.1 ${x.port} 127.0.0.1 ${x.port}`],
  ['an empty new host', () => `mymaster 127.0.0.1 ${x.port}  ${x.port}`],
])('a malformed +switch-master (%s) does not fail the calls in flight', async (_, payload) => {
  const client = createClient(
    sentinelDial({ sentinels: [sentinel.address], masterName: 'mymaster' }),
  );
  try {
    await client.do('PING');
    await until('the watch to subscribe', () => sentinel.subscribed().length > 0);
    const inFlight = client.do('DEBUG', 'SLEEP', '0.3').then(
      () => 'ok',
      (error: unknown) => String(error),
    );
    await sleep(50);
    sentinel.announceSwitch(payload());
    // Observed: "ConnectionError: connection destroyed".
    expect(await inFlight).toBe('ok');
  } finally {
    await client.close();
    await until('the watch to stop', () => sentinel.subscribed().length === 0);
  }
});
