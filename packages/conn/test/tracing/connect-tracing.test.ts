import { freePort, startRedisServer, useRedisServer } from '@x/test-redis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type CommandTraceContext,
  ConnectionError,
  type ConnectTraceContext,
  dial,
  tracingChannelNames,
} from '../../src/index.js';
import { recordTraces, type TraceRecorder } from './trace-recorder.js';

const redis = useRedisServer();
let connects: TraceRecorder<ConnectTraceContext>;
beforeEach(() => {
  connects = recordTraces(tracingChannelNames.connect);
});
afterEach(() => connects.stop());

it('traces a dial: where, database, TLS and protocol at start; the connection when it settles', async () => {
  const dialing = dial(redis.url, { protocol: 3, database: 3 });
  const [context] = connects.contexts;
  expect(connects.eventsOf(context!)).toEqual(['start', 'end']);
  const conn = await dialing;
  expect(connects.eventsOf(context!)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  expect(context).toEqual({
    serverAddress: '127.0.0.1',
    serverPort: redis.server.port,
    database: 3,
    tls: false,
    protocol: 3,
    connectionId: conn.id,
    result: conn,
  });
  await conn.close();
});

it('traces a dial that fails once, with its error', async () => {
  const port = await freePort();
  await expect(dial(`redis://127.0.0.1:${port}`)).rejects.toBeInstanceOf(ConnectionError);
  const [context] = connects.contexts;
  expect(connects.eventsOf(context!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  expect(context).toMatchObject({ serverPort: port, error: expect.any(ConnectionError) });
  expect(context).not.toHaveProperty('connectionId');
});

it('names a Unix socket by its path, in the dial and in its commands', async () => {
  const local = await startRedisServer({ unixSocket: true });
  const commands = recordTraces<CommandTraceContext>(tracingChannelNames.command);
  try {
    const conn = await dial(local.socketPath!, { database: 1 });
    await conn.do('PING');
    await conn.close();
    const expected = { serverAddress: local.socketPath, serverPort: undefined, database: 1 };
    expect(connects.contexts[0]).toMatchObject(expected);
    expect(commands.contexts.map((context) => context.command)).toEqual(['SELECT', 'PING']);
    for (const context of commands.contexts) expect(context).toMatchObject(expected);
  } finally {
    commands.stop();
    await local.stop();
  }
});
