// Review A: the cluster's error classes against STYLE.md ("Each class has a literal name, a
// Symbol.for('@x/...') brand with a static is() (an error thrown by the CJS copy must be
// recognised by the ESM copy)") and the README's error table.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { ClusterConnectError, ClusterRoutingError, CrossSlotError } from '../../src/index.js';

describe('cluster error classes', () => {
  it('ClusterRoutingError.is() does not claim a server reply error (WRONGTYPE)', () => {
    const wrongType = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind');
    // Each class inherits RedisError.is(), which is true for every error of the family.
    expect(ClusterRoutingError.is(wrongType)).toBe(false);
    expect(CrossSlotError.is(wrongType)).toBe(false);
    expect(ClusterConnectError.is(wrongType)).toBe(false);
  });

  it('CrossSlotError.is() does not claim a ClusterRoutingError', () => {
    const routing = new ClusterRoutingError('GET: gave up', 'ERR_TOO_MANY_REDIRECTS', []);
    expect(CrossSlotError.is(routing)).toBe(false);
  });

  it('an error from the CJS build is recognised by the ESM classes (instanceof and is())', () => {
    // A plain Node process (the test runner passes its source condition on to require()): a
    // CommonJS consumer loads dist/index.cjs, an ES module consumer dist/index.js, side by side.
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const script = `
      const cjs = require(${JSON.stringify(`${dist}index.cjs`)});
      import(${JSON.stringify(`${dist}index.js`)}).then((esm) => {
        const crossSlot = new cjs.CrossSlotError('keys in different slots');
        const routing = new cjs.ClusterRoutingError('GET: gave up', 'ERR_CLUSTER_UNAVAILABLE', []);
        console.log(JSON.stringify({
          crossSlotInstanceof: crossSlot instanceof esm.CrossSlotError,
          crossSlotIs: esm.CrossSlotError.is(crossSlot),
          routingInstanceof: routing instanceof esm.ClusterRoutingError,
        }));
      });`;
    const output = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(JSON.parse(String(output))).toEqual({
      crossSlotInstanceof: true,
      crossSlotIs: true,
      routingInstanceof: true,
    });
  });
});
