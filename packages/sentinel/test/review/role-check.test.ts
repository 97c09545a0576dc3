// DEFECT (low): connectChecked takes ANY error reply to ROLE as agreement, though the README
// (Limits) and its doc comment say only a refusal by an ACL (NOPERM) is. A replica that answers
// ROLE with -BUSY (a long script; ROLE is not allowed while busy) or a server that renamed ROLE
// away ("-ERR unknown command") is handed over as the master when a sentinel names it.
import { ReplyError } from '@x/resp';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { SentinelError, sentinelDial } from '../../src/index.js';
import { type ReviewSentinel, startReviewSentinel } from './helpers.js';

const started: (FakeServer | ReviewSentinel)[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

it.each([
  ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'],
  ["ERR unknown command 'ROLE', with args beginning with: "],
])('a node that answers ROLE with "%s" is not taken for the master', async (message) => {
  const node = await startFakeServer({
    onCommand: (command) => (command[0]?.toUpperCase() === 'ROLE' ? new ReplyError(message) : 'OK'),
  });
  const sentinel = await startReviewSentinel(() => [node.host, String(node.port)]);
  started.push(node, sentinel);
  const dial = sentinelDial({
    sentinels: [sentinel.address],
    masterName: 'mymaster',
    connectTimeoutMs: 500,
    watchFailovers: false,
  });
  const outcome = await dial({ signal: new AbortController().signal }).then(
    (conn) => {
      conn.destroy();
      return 'handed over as the master';
    },
    (error: unknown) => error,
  );
  // Observed: 'handed over as the master'.
  expect(outcome).toBeInstanceOf(SentinelError);
});
