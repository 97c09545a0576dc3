import { ReplyError, type ReplyValue } from '@x/resp';
import { type FakeConnection, type FakeServer, startFakeServer } from '@x/test-redis';

/** What a fake sentinel says; the test changes it as it goes. */
export interface FakeSentinelState {
  /** The master it names; null: it does not know the name. */
  master: { host: string; port: number } | null;
  /** The replicas it lists, with their flags. */
  replicas: { host: string; port: number; flags?: string; link?: string }[];
  /** Answer nothing at all (a hung sentinel). */
  silent?: boolean;
  /** A reply of the wrong shape to GET-MASTER-ADDR-BY-NAME. */
  garbage?: ReplyValue;
}

export interface FakeSentinel extends FakeServer {
  readonly state: FakeSentinelState;
  readonly address: string;
  /** Publishes `+switch-master` to every subscribed connection. */
  announceSwitch(payload: string): void;
}

/** A scripted sentinel, for what real sentinels cannot be made to do: lie, hang, talk nonsense. */
export async function startFakeSentinel(state: FakeSentinelState): Promise<FakeSentinel> {
  const subscribed = new Set<FakeConnection>();
  const server = await startFakeServer({
    onCommand: (command, connection) => {
      if (state.silent) return undefined;
      const [name = '', sub = '', masterName = ''] = command.map((part) => part.toUpperCase());
      if (name === 'PING') return 'PONG';
      if (name === 'SUBSCRIBE') {
        subscribed.add(connection);
        return ['subscribe', command[1] ?? '', 1];
      }
      if (name !== 'SENTINEL') return new ReplyError('ERR unknown command');
      if (masterName !== 'MYMASTER' && sub !== 'SENTINELS')
        return sub === 'GET-MASTER-ADDR-BY-NAME'
          ? null
          : new ReplyError('ERR No such master with that name');
      switch (sub) {
        case 'GET-MASTER-ADDR-BY-NAME':
          if (state.garbage !== undefined) return state.garbage;
          return state.master === null ? null : [state.master.host, String(state.master.port)];
        case 'REPLICAS':
          return state.replicas.map((replica) => [
            'ip',
            replica.host,
            'port',
            String(replica.port),
            'flags',
            replica.flags ?? 'slave',
            'master-link-status',
            replica.link ?? 'ok',
          ]);
        case 'SENTINELS':
          return [];
        default:
          return new ReplyError('ERR unknown subcommand');
      }
    },
  });
  return Object.assign(server, {
    state,
    address: `${server.host}:${server.port}`,
    announceSwitch(payload: string) {
      for (const connection of subscribed)
        if (!connection.socket.destroyed) connection.reply(['message', '+switch-master', payload]);
    },
  });
}
