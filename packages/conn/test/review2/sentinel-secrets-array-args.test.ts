import type { FakeServer } from '@x/test-redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type CommandTraceContext,
  dial,
  newLoggingConn,
  tracingChannelNames,
} from '../../src/index.js';
import { startSentinelStandIn } from '../review/sentinel-stand-in.js';
import { recordTraces, type TraceRecorder } from '../tracing/trace-recorder.js';

// Review 2: an argument may be an array, flattened one level on the wire (the `Arg` type, and
// @x/reply's `args()` builder, which the reply README says is "passed whole"). The SENTINEL
// redaction looks at args[0] as text: for `do('SENTINEL', ['SET', 'mymaster', 'auth-pass', pw])`
// args[0] is the array, String(array) is "SET,mymaster,auth-pass,pw", which is neither SET nor
// CONFIG, so the command counts as harmless and the password goes to the x:conn:command context
// and to newLoggingConn's log in clear; SENTINEL CONFIG GET's reply too. The server sees exactly
// the same command as `do('SENTINEL', 'SET', ...)`, which is redacted. (AUTH, CONFIG, ACL are
// redacted by name and are not affected.)

let fake: FakeServer | undefined;
let traces: TraceRecorder<CommandTraceContext>;
beforeEach(() => {
  traces = recordTraces<CommandTraceContext>(tracingChannelNames.command);
});
afterEach(async () => {
  traces.stop();
  await fake?.close();
});

it('SENTINEL with its arguments in one array: the trace never shows the password', async () => {
  fake = await startSentinelStandIn();
  const conn = await dial(fake.url);
  await conn.do('SENTINEL', ['SET', 'mymaster', 'auth-pass', 'master-s3cret']);
  await conn.do('SENTINEL', ['CONFIG', 'SET', 'sentinel-pass', 'sentinel-s3cret']);
  const got = await conn.do('SENTINEL', ['CONFIG', 'GET', 'sentinel-pass']);
  await conn.close();
  expect(String(got)).toContain('sentinel-s3cret'); // the server saw the real command
  const shown = JSON.stringify(
    traces.contexts.map((context) => [context.args, String(context.result)]),
  );
  // Observed: [["SET","mymaster","auth-pass","master-s3cret"]] ... result "sentinel-pass,sentinel-s3cret".
  expect(shown).not.toContain('master-s3cret');
  expect(shown).not.toContain('sentinel-s3cret');
});

it('SENTINEL with its arguments in one array: newLoggingConn never logs the password', async () => {
  fake = await startSentinelStandIn();
  const lines: string[] = [];
  const logged = newLoggingConn(await dial(fake.url), (line) => lines.push(line));
  await logged.do('SENTINEL', ['SET', 'mymaster', 'auth-pass', 'master-s3cret']);
  await logged.do('SENTINEL', ['CONFIG', 'GET', 'sentinel-pass']);
  await logged.close();
  // Observed: redis.do('SENTINEL', [ 'SET', 'mymaster', 'auth-pass', 'master-s3cret' ]) -> ...
  expect(lines.join('\n')).not.toContain('master-s3cret');
  expect(lines.join('\n')).not.toContain('sentinel-s3cret');
});
