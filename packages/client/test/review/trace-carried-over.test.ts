import { tracingChannel } from 'node:diagnostics_channel';
import type { CommandTraceContext, ConnectTraceContext } from '@x/conn';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

// Review: a command the client carries over to its next connection (an idempotent retry after
// the first connection died with it in flight) is traced once, as it should be, but its context
// keeps the connection it was first written to. The trace says the GET went out on connection A
// and failed over nothing; it was answered by connection B. With a dial function that follows a
// failover (sentinel), serverAddress/serverPort name the old master for a command the new one
// answered. The client's own test is named "traces the client's commands with the connection
// they went out on"; the README says connectionId is "Connection.id" (0 only when issued offline).

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
});

it('an idempotent GET retried on a new connection is traced with the connection that answered it', async () => {
  let connections = 0;
  fake = await startFakeServer({
    onConnection: () => {
      connections++;
    },
    onCommand: ([name], connection) => {
      const command = name?.toUpperCase();
      // The first connection dies with the GET in flight; the second answers it.
      if (command === 'GET' && fake!.connections.indexOf(connection) === 0) {
        connection.hangUp();
        return undefined;
      }
      if (command === 'GET') return 'v';
      return 'OK';
    },
  });
  const commands: CommandTraceContext[] = [];
  const connects: ConnectTraceContext[] = [];
  const onCommand = (context: unknown) => commands.push(context as CommandTraceContext);
  const onConnect = (context: unknown) => connects.push(context as ConnectTraceContext);
  const channel = tracingChannel('x:conn:command');
  channel.asyncEnd.subscribe(onCommand);
  tracingChannel('x:conn:connect').asyncEnd.subscribe(onConnect);
  try {
    const client = createClient(fake.url);
    await client.do('PING');
    const reply = await client.doWith({ idempotent: true }, 'GET', 'k');
    expect(String(reply)).toBe('v');
    await client.close();
  } finally {
    channel.asyncEnd.unsubscribe(onCommand);
    tracingChannel('x:conn:connect').asyncEnd.unsubscribe(onConnect);
  }
  expect(connections).toBe(2);
  const gets = commands.filter((context) => context.command === 'GET');
  expect(gets).toHaveLength(1); // holds: traced once
  expect(String(gets[0]!.result)).toBe('v');
  // Observed: the first connection's id (the one that died without answering).
  expect(gets[0]!.connectionId).toBe(connects[1]?.connectionId);
});
