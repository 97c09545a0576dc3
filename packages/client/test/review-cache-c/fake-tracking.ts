// A scripted server for what a real one cannot be made to do on demand: stall (or die without
// a word) between two replies on the same connection. Plays just enough of Redis for the cache:
// GET, PTTL, SET, EVAL (which writes the key 'hidden', named by none of its arguments), PING and
// the handshake.
import type { ReplyValue } from '@x/resp';
import { type FakeConnection, type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach } from 'vitest';
import { type Client, createClient } from '../../src/index.js';

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
  const state = {
    values: new Map<string, string>(),
    stalled: new Set<FakeConnection>(),
    afterEval: (_connection: FakeConnection) => {},
    onSet: (_connection: FakeConnection) => {},
  };
  const fake = await startFakeServer({
    onCommand: (command, connection): ReplyValue | undefined => {
      if (state.stalled.has(connection)) return undefined;
      const name = command[0]!.toUpperCase();
      switch (name) {
        case 'HELLO':
          return new Map<ReplyValue, ReplyValue>([
            ['server', 'fake'],
            ['proto', 3],
          ]);
        case 'PING':
          return 'PONG';
        case 'GET':
          return state.values.get(command[1]!) ?? null;
        case 'PTTL':
          return state.values.has(command[1]!) ? -1 : -2;
        case 'SET':
          state.values.set(command[1]!, command[2]!);
          state.onSet(connection);
          return 'OK';
        case 'EVAL':
          // Any script writes the key 'hidden' (named by no argument) to 'after'.
          state.values.set('hidden', 'after');
          connection.reply('OK');
          state.afterEval(connection);
          return undefined;
        default:
          return 'OK';
      }
    },
  });
  servers.push(fake);
  return Object.assign(state, { fake });
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
