// DEFECT: the ROLE check on a node a sentinel names is bounded only by the node's readTimeoutMs
// (5 s by default) and the whole dial's connectTimeoutMs, not by anything short. A node that
// accepts TCP and never answers (a hung/SIGSTOPped master, a black-holed proxy) named by the
// first sentinel eats the dial: with connectTimeoutMs <= 5 s the next, honest sentinel is never
// asked, every dial fails the same way (the liar is never moved back), and the SentinelError
// lists no attempt at all.
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { SentinelError, sentinelDial } from '../../src/index.js';
import { portOf } from '../integration/node-port.js';
import { startBlackHole, startReviewSentinel } from './helpers.js';

let x: RedisServer;
const cleanup: (() => Promise<void>)[] = [];
beforeAll(async () => {
  x = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});
afterAll(async () => {
  await x?.stop();
});

it('a node that accepts TCP but never answers costs one short bound, then the next sentinel is asked', async () => {
  const hole = await startBlackHole();
  const liar = await startReviewSentinel(() => [hole.host, String(hole.port)]);
  const honest = await startReviewSentinel(() => [x.host, String(x.port)]);
  cleanup.push(hole.close, liar.close, honest.close);
  const dial = sentinelDial({
    sentinels: [liar.address, honest.address],
    masterName: 'mymaster',
    connectTimeoutMs: 3_000,
  });
  const started = Date.now();
  const outcome = await dial({ signal: new AbortController().signal }).then(
    async (conn) => {
      const port = await portOf(conn);
      conn.destroy();
      return port;
    },
    (error: unknown) => error,
  );
  // Observed: SentinelError "found no master "mymaster" within 3000 ms" with attempts [] after 3 s.
  expect(outcome).toBe(x.port);
  expect(Date.now() - started).toBeLessThan(3_000);
});

it('with the defaults, one hung node does not cost every dial readTimeoutMs (5 s)', async () => {
  const hole = await startBlackHole();
  const liar = await startReviewSentinel(() => [hole.host, String(hole.port)]);
  const honest = await startReviewSentinel(() => [x.host, String(x.port)]);
  cleanup.push(hole.close, liar.close, honest.close);
  const dial = sentinelDial({ sentinels: [liar.address, honest.address], masterName: 'mymaster' });
  const started = Date.now();
  const conn = await dial({ signal: new AbortController().signal });
  const tookMs = Date.now() - started;
  conn.destroy();
  // Observed: about 5,000 ms (the node's readTimeoutMs), against sentinel.timeoutMs of 1,000 ms.
  expect(tookMs).toBeLessThan(2_500);
}, 15_000);

it('a SentinelError that ends a dial mid-pass says what was being tried', async () => {
  const hung = await startBlackHole();
  cleanup.push(hung.close);
  const dial = sentinelDial({
    sentinels: [`${hung.host}:${hung.port}`],
    masterName: 'mymaster',
    connectTimeoutMs: 500, // less than sentinel.timeoutMs (1 s): the pass never ends
  });
  const error = await dial({ signal: new AbortController().signal }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SentinelError);
  // Observed: attempts [] and a message that names no sentinel.
  expect((error as SentinelError).attempts.length).toBeGreaterThan(0);
  expect((error as SentinelError).message).toContain(`${hung.host}:${hung.port}`);
});
