// DEFECT (test quality): src/options.test.ts "never shows a password from a sentinel URL in an
// error" cannot fail. Its options carry connectTimeoutMs: -5, which readSentinelOptions refuses
// before it parses `sentinels`, so the URL with the password never reaches parseSentinel.
// Checked by mutation: with parseSentinel changed to `throw new TypeError(\`bad sentinel URL
// ${entry}\`)` for every URL, that test still passes.
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';

it("the options of options.test.ts's password test reach the sentinel URL parser", () => {
  let message = '';
  try {
    sentinelDial({
      sentinels: ['redis://:hunter2@'],
      masterName: 'mymaster',
      connectTimeoutMs: -5,
    });
  } catch (error) {
    message = String(error);
  }
  // Observed: "RangeError: connectTimeoutMs must be ..." — the error is about the timeout.
  expect(message).not.toMatch(/connectTimeoutMs/);
});
