import { type Connection, dial } from '@x/conn';
import type { ReplyValue } from '@x/resp';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { autoClaim, streamEntries } from '../../src/index.js';

// Review: Redis 6.2 (which the README names: "with Redis 6.2 deletedIds is empty") answers
// XAUTOCLAIM and XCLAIM with a nil element for each pending entry whose stream entry was deleted
// (Redis 7.0 changed that, #10227: "XCLAIM/XAUTOCLAIM skip deleted entries instead of replying
// with Nil"). The helpers throw NilError on the whole reply, so the caller never sees the
// entries that WERE claimed: the server has moved them to the new consumer, and nobody
// processes them until they are claimed again. Bad input must lose nothing.
//
// The fake server sends what redis-server 6.2.x sends: `if (!emitted) addReplyNull(c);`.

let fake: FakeServer | undefined;
let conn: Connection | undefined;
afterEach(async () => {
  conn?.destroy();
  await fake?.close();
});

async function redis62(answers: Record<string, ReplyValue>): Promise<Connection> {
  fake = await startFakeServer({
    onCommand: ([name]) => answers[name?.toUpperCase() ?? ''] ?? 'OK',
  });
  conn = await dial(fake.url);
  return conn;
}

it('XAUTOCLAIM on Redis 6.2 with a deleted pending entry: the claimed entries are returned', async () => {
  const conn = await redis62({
    XAUTOCLAIM: ['0-0', [null, ['2-0', ['f', 'v']]]],
  });
  const claim = await autoClaim(conn.do('XAUTOCLAIM', 's', 'g', 'c', 0, '0-0'));
  // Observed: NilError "autoClaim: nil reply" (2-0 is claimed server-side, but lost to the caller).
  expect(claim.claimed.map((entry) => entry.id)).toEqual(['2-0']);
});

it('XCLAIM on Redis 6.2 with a deleted entry: the claimed entries are returned', async () => {
  const conn = await redis62({
    XCLAIM: [null, ['2-0', ['f', 'v']]],
  });
  const claimed = await streamEntries(conn.do('XCLAIM', 's', 'g', 'c', 0, '1-0', '2-0'));
  expect(claimed.map((entry) => entry.id)).toEqual(['2-0']);
});
