import { tracingChannel } from 'node:diagnostics_channel';
import { type CommandTraceContext, tracingChannelNames } from '@x/conn';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

// Review 2: packages/conn/README.md's OpenTelemetry example reads `server.address`,
// `server.port` and `db.namespace` in the `start` subscriber and never again. The same README's
// context table says a client's command issued while it has no connection "starts with 0; ...
// has this and the server fields updated to that connection before it settles: read them at
// asyncEnd", and client/README.md repeats it. The first command of every createClient() (and
// every command during a reconnect) is issued so: following the README's example, its span has
// `server.address: undefined`, `server.port: undefined` -- the span of a command the server
// answered names no server. Expected: the example, copied as it stands, gives the span the
// server it went to (set the attributes at asyncEnd, or say the example is wrong for @x/client).

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
});

it("the README's OpenTelemetry example names the server of a client's first command", async () => {
  fake = await startFakeServer({ onCommand: () => 'OK' });
  const spans = new WeakMap<object, { attributes: Record<string, unknown>; ended: boolean }>();
  const ended: Record<string, unknown>[] = [];
  const commands = tracingChannel(tracingChannelNames.command);
  // As in packages/conn/README.md since the fix: the server attributes are set at asyncEnd.
  const onStart = (message: unknown) => {
    const context = message as CommandTraceContext;
    const attributes = { 'db.system': 'redis', 'db.operation.name': context.command };
    spans.set(context, { attributes, ended: false });
  };
  const onAsyncEnd = (message: unknown) => {
    const context = message as CommandTraceContext;
    const span = spans.get(context);
    if (span === undefined || context.command !== 'SET') return;
    Object.assign(span.attributes, {
      'db.namespace': String(context.database),
      'server.address': context.serverAddress,
      'server.port': context.serverPort,
    });
    ended.push(span.attributes);
  };
  commands.start.subscribe(onStart);
  commands.asyncEnd.subscribe(onAsyncEnd);
  try {
    const client = createClient(fake.url);
    await client.do('SET', 'k', 'v'); // issued at once: the client is still connecting
    await client.close();
  } finally {
    commands.start.unsubscribe(onStart);
    commands.asyncEnd.unsubscribe(onAsyncEnd);
  }
  expect(ended).toHaveLength(1);
  // Observed: { 'server.address': undefined, 'server.port': undefined, ... }.
  expect(ended[0]).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': fake.port });
});
