import { inspect } from 'node:util';
import { ReplyError } from '@x/resp';
import { useRedisServer } from '@x/test-redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type CommandTraceContext,
  type ConnectTraceContext,
  dial,
  tracingChannelNames,
} from '../../src/index.js';
import { recordTraces, type TraceRecorder } from './trace-recorder.js';

const password = 'hunter2-traced';
const redis = useRedisServer({ args: ['--requirepass', password] });
let commands: TraceRecorder<CommandTraceContext>;
let connects: TraceRecorder<ConnectTraceContext>;
beforeEach(() => {
  commands = recordTraces(tracingChannelNames.command);
  connects = recordTraces(tracingChannelNames.connect);
});
afterEach(() => {
  commands.stop();
  connects.stop();
});

/** Everything a subscriber could read: contexts with their errors' messages and stacks. */
const everything = () =>
  inspect([commands.contexts, connects.contexts], { depth: Number.POSITIVE_INFINITY });

it('never shows a password in any context: handshakes, AUTH, CONFIG, ACL, MIGRATE, EXEC', async () => {
  const secrets = ['s3cret-bob', 'n3w-requirepass', 'm1grate-pw', 'wrong-guess'];
  const resp2 = await dial(redis.url, { password });
  const resp3 = await dial(redis.url, { password, username: 'default', protocol: 3 });
  await expect(resp2.do('AUTH', 'wrong-guess')).rejects.toBeInstanceOf(ReplyError);
  await resp2.do('ACL', 'SETUSER', 'bob', 'on', '>s3cret-bob');
  // A rule without '>' is refused, and the server echoes it.
  await expect(resp2.do('ACL', 'SETUSER', 'bob', 's3cret-bob')).rejects.toThrow(/s3cret-bob|\?/);
  await resp2.do('CONFIG', 'SET', 'requirepass', 'n3w-requirepass');
  await resp2.do('CONFIG', 'GET', 'requirepass');
  await resp3.do('MIGRATE', '127.0.0.1', redis.server.port, 'nokey', 0, 100, 'AUTH', 'm1grate-pw');
  resp2.send('MULTI');
  resp2.send('CONFIG', 'GET', 'requirepass');
  resp2.send('EXEC');
  await resp2.do('');
  await resp2.do('CONFIG', 'SET', 'requirepass', password);
  await expect(dial(redis.url, { password: 'wrong-guess' })).rejects.toBeInstanceOf(ReplyError);
  await resp2.close();
  await resp3.close();

  const traced = everything();
  for (const secret of [password, ...secrets]) expect(traced).not.toContain(secret);
  const names = commands.contexts.map((context) => context.command);
  for (const name of ['AUTH', 'HELLO', 'ACL', 'CONFIG', 'MIGRATE', 'EXEC'])
    expect(names).toContain(name);
  const exec = commands.contexts.find((context) => context.command === 'EXEC');
  expect(exec?.result).toEqual(['?']);
  const failedDial = connects.contexts.at(-1);
  expect(connects.eventsOf(failedDial!)).toEqual([
    'start',
    'end',
    'error',
    'asyncStart',
    'asyncEnd',
  ]);
  expect(String(failedDial?.error)).toMatch(/WRONGPASS/);
  expect(commands.malformed()).toEqual([]);
  expect(connects.malformed()).toEqual([]);
});
