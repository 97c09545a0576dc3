import { tracingChannel } from 'node:diagnostics_channel';
import type { CommandTraceContext, ConnectTraceContext } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

const redis = useRedisServer();

it("traces the client's commands with the connection they went out on", async () => {
  const commands: CommandTraceContext[] = [];
  const connects: ConnectTraceContext[] = [];
  const onCommand = (context: unknown) => commands.push(context as CommandTraceContext);
  const onConnect = (context: unknown) => connects.push(context as ConnectTraceContext);
  tracingChannel('x:conn:command').asyncEnd.subscribe(onCommand);
  tracingChannel('x:conn:connect').asyncEnd.subscribe(onConnect);
  try {
    const client = createClient(redis.url);
    // Issued before the first connection is up: named at its end by the one it went out on.
    const early = client.do('SET', 'k', 'v');
    await early;
    await client.do('GET', 'k');
    await client.close();
  } finally {
    tracingChannel('x:conn:command').asyncEnd.unsubscribe(onCommand);
    tracingChannel('x:conn:connect').asyncEnd.unsubscribe(onConnect);
  }
  const [set, get] = ['SET', 'GET'].map((name) =>
    commands.find((context) => context.command === name),
  );
  expect(set).toMatchObject({
    command: 'SET',
    connectionId: connects[0]?.connectionId,
    serverAddress: '127.0.0.1',
  });
  expect(get).toMatchObject({
    command: 'GET',
    connectionId: connects[0]?.connectionId,
    serverAddress: '127.0.0.1',
    serverPort: redis.server.port,
    result: Buffer.from('v'),
  });
});
