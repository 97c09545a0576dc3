import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type CommandTraceContext,
  ConnectionError,
  dial,
  TimeoutError,
  tracingChannelNames,
} from '../../src/index.js';
import { recordTraces, type TraceRecorder } from './trace-recorder.js';

// What a real server cannot do: tear a reply and hang up, or stall mid-reply.
let traces: TraceRecorder<CommandTraceContext>;
let fake: FakeServer;
beforeEach(() => {
  traces = recordTraces(tracingChannelNames.command);
});
afterEach(async () => {
  traces.stop();
  await fake?.close();
});

it('fails each pipelined command once when the server hangs up inside a reply', async () => {
  fake = await startFakeServer({
    onCommand: (command, connection) => {
      if (command[0] !== 'GET') return 'OK';
      // The first GET gets half a bulk string, then the socket closes.
      connection.write('$10\r\nhal');
      setTimeout(() => connection.hangUp(), 20);
      return undefined;
    },
  });
  const conn = await dial(fake.url);
  conn.send('SET', 'a', '1');
  conn.send('GET', 'a');
  conn.send('GET', 'b');
  const last = conn.do('GET', 'c');
  await expect(last).rejects.toBeInstanceOf(ConnectionError);
  const [set, ...gets] = traces.contexts;
  expect(set!.result).toBe('OK');
  expect(gets).toHaveLength(3);
  for (const get of gets) expect(ConnectionError.is(get.error)).toBe(true);
  expect(traces.malformed()).toEqual([]);
});

it('fails a command once when the server stalls mid-reply past readTimeoutMs, even with a longer time limit', async () => {
  fake = await startFakeServer({
    onCommand: (command, connection) => {
      if (command[0] !== 'GET') return 'OK';
      connection.write('$10\r\nstal');
      return undefined;
    },
  });
  const conn = await dial(fake.url, { readTimeoutMs: 150 });
  const stalled = conn.doWith({ timeoutMs: 5_000 }, 'GET', 'k');
  const error = await stalled.catch((reason: unknown) => reason);
  expect(ConnectionError.is(error) && TimeoutError.is((error as ConnectionError).cause)).toBe(true);
  const [get] = traces.contexts;
  expect(get!.error).toBe(error);
  expect(traces.malformed()).toEqual([]);
});
