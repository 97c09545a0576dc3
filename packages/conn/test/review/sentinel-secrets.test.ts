import type { FakeServer } from '@x/test-redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type CommandTraceContext, dial, tracingChannelNames } from '../../src/index.js';
import { recordTraces, type TraceRecorder } from '../tracing/trace-recorder.js';
import { startSentinelStandIn } from './sentinel-stand-in.js';

// Review: "secrets never appear in traces". The redaction list is AUTH, HELLO, ACL, CONFIG and
// MIGRATE; SENTINEL's own password-setting subcommands are not on it, so the x:conn:command
// context (now with the server's address next to it) carries the master's and the sentinels'
// passwords in clear:
//   SENTINEL SET <master> auth-pass <password>      (and auth-user)
//   SENTINEL CONFIG SET sentinel-pass <password>    (Redis 7.2+, and sentinel-user)
//   SENTINEL CONFIG GET sentinel-pass               (its reply: the password, as `result`)
//   SENTINEL MONITOR is harmless; SENTINEL SET is how an operator rotates the master password.
// A fake server stands in for a sentinel (it answers OK).

let fake: FakeServer | undefined;
let traces: TraceRecorder<CommandTraceContext>;
beforeEach(() => {
  traces = recordTraces<CommandTraceContext>(tracingChannelNames.command);
});
afterEach(async () => {
  traces.stop();
  await fake?.close();
});

it('SENTINEL SET auth-pass and SENTINEL CONFIG SET/GET sentinel-pass never show the password', async () => {
  fake = await startSentinelStandIn();
  const conn = await dial(fake.url);
  await conn.do('SENTINEL', 'SET', 'mymaster', 'auth-pass', 'master-s3cret');
  await conn.do('SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', 'sentinel-s3cret');
  const got = await conn.do('SENTINEL', 'CONFIG', 'GET', 'sentinel-pass');
  await conn.close();
  const shown = JSON.stringify(
    traces.contexts.map((context) => [context.args, String(context.result)]),
  );
  expect(String(got)).toContain('sentinel-s3cret'); // the caller gets it, of course
  // Observed: args ["SET","mymaster","auth-pass","master-s3cret"],
  // ["CONFIG","SET","sentinel-pass","sentinel-s3cret"], and result "sentinel-pass,sentinel-s3cret".
  expect(shown).not.toContain('master-s3cret');
  expect(shown).not.toContain('sentinel-s3cret');
});
