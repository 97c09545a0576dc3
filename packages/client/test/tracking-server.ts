// A scripted server that plays Redis's side of client-side caching (the handshake, PING, GET,
// MGET, PTTL, SET and CLIENT commands) for the faults a real server cannot be made to do on
// demand. Each test scripts its faults with a Fault; everything else gets the default answer.
import { encodeReply, Push, type Reply, type ReplyValue } from '@x/resp';
import { type FakeConnection, type FakeServer, startFakeServer } from '@x/test-redis';

export interface TrackingServer {
  readonly fake: FakeServer;
  readonly values: Map<string, string>;
  /** Commands received, by name. */
  count(name: string): number;
  /** Sends an invalidation push for `keys` (null: flush) on every connection. */
  invalidate(keys: ReplyValue): void;
}

/**
 * Per command: a reply to send (or a promise of one: later replies wait for it, as a server's
 * would), 'silent' to send nothing, or undefined to let the default handler answer.
 */
export type Fault = (
  command: string[],
  connection: FakeConnection,
) => ReplyValue | undefined | 'silent' | Promise<ReplyValue>;

export async function startTrackingServer(fault: Fault = () => undefined): Promise<TrackingServer> {
  const values = new Map<string, string>();
  const counts = new Map<string, number>();
  const fakeServer: FakeServer = await startFakeServer({
    onCommand: async (command, connection) => {
      const name = command[0]!.toUpperCase();
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const faulty = await fault(command, connection);
      if (faulty === 'silent') return undefined;
      if (faulty !== undefined) return faulty;
      switch (name) {
        case 'HELLO':
          return new Map<ReplyValue, ReplyValue>([
            ['server', 'fake'],
            ['proto', 3],
          ]);
        case 'PING':
          return 'PONG';
        case 'GET':
          return values.get(command[1]!) ?? null;
        case 'MGET':
          return command.slice(1).map((key) => values.get(key) ?? null);
        case 'PTTL':
          return values.has(command[1]!) ? -1 : -2;
        case 'SET':
          values.set(command[1]!, command[2]!);
          return 'OK';
        default:
          return 'OK';
      }
    },
  });
  return {
    fake: fakeServer,
    values,
    count: (name) => counts.get(name) ?? 0,
    invalidate: (keys) => {
      for (const connection of fakeServer.connections) connection.write(invalidation(keys));
    },
  };
}

/** An invalidation push frame naming `keys` (null: a flush). */
export function invalidation(keys: ReplyValue): Buffer {
  return encodeReply(new Push(['invalidate', keys as Reply]), { protocol: 3 });
}
