// DEFECT (low, "passwords never shown"): when mapAddress returns something that is not
// { host, port }, the TypeError quotes the returned value with JSON.stringify, and that text goes
// into SentinelError.message and .attempts. A mapAddress that returns a URL (a natural mistake:
// "map to where I can reach it") or an object spread from the node options carries the password
// into every error and log line. Everywhere else the toolkit refuses to echo a value that may hold
// credentials ("not shown: it may contain a password").
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';
import { useMasterAndSentinel } from '../review/helpers.js';

const setup = useMasterAndSentinel();

it.each([
  ['a URL', () => 'redis://:node-secret-3141@10.0.0.5:6380'],
  [
    'node options with the port as text',
    () => ({ host: '10.0.0.5', port: '6380', password: 'node-secret-3141' }),
  ],
])('a mapAddress returning %s does not put the password in the error', async (_, map) => {
  const dial = sentinelDial({
    sentinels: [setup.sentinel.address],
    masterName: 'mymaster',
    connectTimeoutMs: 500,
    mapAddress: map as never,
  });
  const error = await dial({ signal: new AbortController().signal }).catch((e: unknown) => e);
  const text = `${String(error)} ${JSON.stringify((error as { attempts?: unknown }).attempts)}`;
  expect(text).toMatch(/mapAddress must return/);
  // Observed: ... got "redis://:node-secret-3141@10.0.0.5:6380" for 127.0.0.1:<port>
  expect(text).not.toContain('node-secret-3141');
});
