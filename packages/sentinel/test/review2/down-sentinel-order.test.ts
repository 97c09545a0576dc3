// DEFECT (README claim false): "The configured sentinels are never removed; one that is down is
// asked last, until it answers again." The list only ever moves the sentinel that held up to the
// front; a sentinel that fails keeps its place. With [A (hung), B, C], the first dial leaves
// [B, A, C]: A is asked before C. When B then goes away, every dial waits sentinel.timeoutMs on A
// before it reaches C, and C (which answers) is not promoted past A until it holds up once; the
// order after any failure keeps the dead sentinel ahead of live ones.
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { startBlackHole, startReviewSentinel } from '../review/helpers.js';

let x: RedisServer;
beforeAll(async () => {
  x = await startRedisServer();
});
afterAll(async () => {
  await x?.stop();
});

it('a sentinel that is down is asked last, as the README says', async () => {
  const hung = await startBlackHole();
  const b = await startReviewSentinel(() => [x.host, String(x.port)]);
  const c = await startReviewSentinel(() => [x.host, String(x.port)]);
  const a = `${hung.host}:${hung.port}`;
  try {
    const dial = sentinelDial({
      sentinels: [a, b.address, c.address],
      masterName: 'mymaster',
      watchFailovers: false,
      sentinel: { timeoutMs: 1_000 },
    });
    const first = await dial({ signal: new AbortController().signal });
    first.destroy();
    // Observed: [B, A, C]: the hung sentinel sits ahead of C, which answers.
    expect.soft(dial.sentinels()).toEqual([b.address, c.address, a]);

    await b.close(); // B goes away: C should be asked next, not the hung A
    const started = Date.now();
    const second = await dial({ signal: new AbortController().signal });
    second.destroy();
    // Observed: about 1,000 ms (sentinel.timeoutMs spent on A) before C is asked.
    expect(Date.now() - started).toBeLessThan(500);
  } finally {
    await hung.close();
    await b.close().catch(() => {});
    await c.close();
  }
});
