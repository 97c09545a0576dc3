// A scripted server for what a real one cannot be made to do on demand: stall (or die without
// a word) between two replies on the same connection. The tracking server of ../tracking-server.ts,
// plus EVAL (which writes the key 'hidden', named by none of its arguments) and hooks.
import type { FakeConnection, FakeServer } from '@x/test-redis';
import { afterEach } from 'vitest';
import { type Client, createClient } from '../../src/index.js';
import { startTrackingServer } from '../tracking-server.js';

export interface FakeTracking {
  readonly fake: FakeServer;
  readonly values: Map<string, string>;
  /** Connections that answer nothing more from now on (the peer stalled or died silently). */
  readonly stalled: Set<FakeConnection>;
  /** Runs right after an EVAL's reply is written, with its connection. */
  afterEval: (connection: FakeConnection) => void;
  /** Runs when a SET arrives, with its connection. */
  onSet: (connection: FakeConnection) => void;
}

const servers: FakeServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

export async function startFakeTracking(): Promise<FakeTracking> {
  const hooks = {
    stalled: new Set<FakeConnection>(),
    afterEval: (_connection: FakeConnection) => {},
    onSet: (_connection: FakeConnection) => {},
  };
  const server = await startTrackingServer((command, connection) => {
    if (hooks.stalled.has(connection)) return 'silent';
    const name = command[0]!.toUpperCase();
    if (name === 'SET') {
      server.values.set(command[1]!, command[2]!);
      hooks.onSet(connection);
      return 'OK';
    }
    if (name !== 'EVAL') return undefined;
    // Any script writes the key 'hidden' (named by no argument) to 'after'.
    server.values.set('hidden', 'after');
    connection.reply('OK');
    hooks.afterEval(connection);
    return 'silent';
  });
  servers.push(server.fake);
  return Object.assign(hooks, { fake: server.fake, values: server.values });
}

export function fakeClient(tracking: FakeTracking, options: object = {}): Client {
  const client = createClient(tracking.fake.url, {
    protocol: 3,
    cache: {},
    decoder: { bulkStringsAs: 'string' },
    ...options,
  });
  clients.push(client);
  return client;
}
