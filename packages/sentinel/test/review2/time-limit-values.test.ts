// DEFECT: time limits that sentinelDial accepts break every dial. readTimeLimit takes any number
// >= 0, but sentinel.timeoutMs and checkTimeoutMs go to AbortSignal.timeout() unclamped and
// unrounded (only connectTimeoutMs is clamped, and not rounded):
//  - a fractional value (1500.5, e.g. computed as base * 1.5) makes AbortSignal.timeout throw a
//    RangeError (ERR_OUT_OF_RANGE) inside every dial, instead of at sentinelDial() as the README
//    promises ("a mistake throws there, not at every reconnect"), or better, being used;
//  - a value above 2^31-1 ms (a "practically never" limit) fires after 1 ms in Node, so every
//    sentinel or every node "does not answer": no dial ever succeeds.
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { useMasterAndSentinel } from '../review/helpers.js';

const setup = useMasterAndSentinel();

it.each([
  ['checkTimeoutMs: 1500.5', { checkTimeoutMs: 1500.5 }],
  ['sentinel.timeoutMs: 1500.5', { sentinel: { timeoutMs: 1500.5 } }],
  ['connectTimeoutMs: 1500.5', { connectTimeoutMs: 1500.5 }],
  ['checkTimeoutMs: 2 ** 31', { checkTimeoutMs: 2 ** 31 }],
  ['sentinel.timeoutMs: 2 ** 31', { sentinel: { timeoutMs: 2 ** 31 } }],
])('accepted by sentinelDial, %s must not break every dial', async (_, extra) => {
  let dial: ReturnType<typeof sentinelDial>;
  try {
    dial = sentinelDial({
      sentinels: [setup.sentinel.address],
      masterName: 'mymaster',
      watchFailovers: false,
      connectTimeoutMs: 1_000,
      ...extra,
    });
  } catch {
    return; // refused where it is given: acceptable
  }
  const outcome = await dial({ signal: new AbortController().signal }).then(
    (conn) => {
      conn.destroy();
      return 'found';
    },
    (error: unknown) => String(error),
  );
  // Observed: "RangeError [ERR_OUT_OF_RANGE]: The value of "delay" is out of range..." (1500.5),
  // or SentinelError "... no answer within checkTimeoutMs / sentinel.timeoutMs" (2 ** 31).
  expect(outcome).toBe('found');
});
