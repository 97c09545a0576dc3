// DEFECT (low): a master demoted while a transaction is queued (REPLICAOF by hand, a partition
// that heals: the cases the README names for READONLY) answers EXEC with
// "-EXECABORT Transaction discarded because of: READONLY You can't write against a read only
// replica." The watch only looks for the code READONLY, so the connection is not ended: it stays
// on the demoted master (reads from it keep succeeding) until some later write gets a bare
// READONLY. A pool whose writes are MULTI/EXEC keeps handing out the connection to the replica.
import { Pool } from '@x/pool';
import { openRawClient, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { type ReviewSentinel, sleep, startReviewSentinel } from '../review/helpers.js';

let x: RedisServer;
let y: RedisServer;
let sentinel: ReviewSentinel;
beforeAll(async () => {
  x = await startRedisServer();
  y = await startRedisServer();
  sentinel = await startReviewSentinel(() => [x.host, String(x.port)]);
});
afterAll(async () => {
  await sentinel?.close();
  await Promise.all([x?.stop(), y?.stop()]);
});

it('a connection whose EXEC is aborted because the master was demoted is ended', async () => {
  const pool = new Pool({
    dial: sentinelDial({ sentinels: [sentinel.address], masterName: 'mymaster' }),
  });
  const raw = await openRawClient(x.port);
  try {
    let execReply: unknown;
    let alive: boolean | undefined;
    await pool.use(async (conn) => {
      await conn.do('MULTI');
      await conn.do('SET', 'k', 'v'); // QUEUED
      await raw.call('REPLICAOF', y.host, String(y.port)); // demoted under the transaction
      execReply = await conn.do('EXEC').catch((error: unknown) => error);
      await sleep(50);
      alive = conn.err() === null;
    });
    expect(String(execReply)).toMatch(/EXECABORT.*READONLY/);
    // Observed: true: the connection to the demoted master lives on and goes back to the pool.
    expect(alive).toBe(false);
  } finally {
    raw.close();
    await pool.close();
  }
});
