import { createServer, type Server, type Socket } from 'node:net';
import { CommandDecoder, encodeReply, type ReplyValue } from '@x/resp';

/** FakeConnection is one client connection to a FakeServer, driven by the test. */
export interface FakeConnection {
  readonly socket: Socket;
  /** The commands received so far, decoded as UTF-8. */
  readonly commands: string[][];
  /** Writes raw bytes: garbage, torn frames, anything. */
  write(bytes: string | Uint8Array): void;
  /** Writes `bytes` in pieces of `chunkSize` bytes, `delayMs` apart (torn frames over time). */
  writeSlowly(bytes: string | Uint8Array, chunkSize: number, delayMs: number): Promise<void>;
  /** Encodes and writes one reply. */
  reply(value: ReplyValue): void;
  /** Closes the connection from the server side, with requests possibly in flight. */
  hangUp(): void;
}

/** What a FakeServer does with a command: a reply value to send, or undefined to stay silent. */
export type FakeHandler = (
  command: string[],
  connection: FakeConnection,
) => ReplyValue | undefined | Promise<ReplyValue | undefined>;

/** FakeServerOptions scripts the fake server's behaviour. */
export interface FakeServerOptions {
  /** Answers each command. Default: PING gets PONG, HELLO a RESP3 map, anything else OK. */
  onCommand?: FakeHandler;
  /** Called when a client connects, before any command. */
  onConnection?: (connection: FakeConnection) => void;
  /** The protocol replies are encoded in. Default 2; a HELLO 3 switches a connection to 3. */
  protocol?: 2 | 3;
}

/** FakeServer is a scripted RESP server on a loopback port, for faults a real server cannot make. */
export interface FakeServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly connections: FakeConnection[];
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

const defaultHandler: FakeHandler = (command) => {
  const name = command[0]?.toUpperCase();
  if (name === 'PING') return command[1] ?? 'PONG';
  if (name === 'HELLO')
    return new Map<ReplyValue, ReplyValue>([
      ['server', 'fake'],
      ['proto', 3],
    ]);
  return 'OK';
};

/** Starts a fake RESP server on 127.0.0.1 and a free port. */
export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const handler = options.onCommand ?? defaultHandler;
  const connections: FakeConnection[] = [];
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    let protocol = options.protocol ?? 2;
    let chain = Promise.resolve();
    const connection: FakeConnection = {
      socket,
      commands: [],
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      writeSlowly: async (bytes, chunkSize, delayMs) => {
        const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
        for (let offset = 0; offset < data.length && !socket.destroyed; offset += chunkSize) {
          socket.write(data.subarray(offset, offset + chunkSize));
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      },
      reply: (value) => connection.write(encodeReply(value, { protocol })),
      hangUp: () => socket.destroy(),
    };
    connections.push(connection);
    socket.on('error', () => socket.destroy());
    const decoder = new CommandDecoder({
      onCommand: (args) => {
        const command = args.map((arg) => arg.toString());
        connection.commands.push(command);
        if (command[0]?.toUpperCase() === 'HELLO' && command[1] === '3') protocol = 3;
        // Answers go out in command order even when a handler is asynchronous.
        chain = chain.then(async () => {
          const answer = await handler(command, connection);
          if (answer !== undefined) connection.reply(answer);
        });
      },
    });
    socket.on('data', (data) => {
      try {
        decoder.write(data);
      } catch {
        socket.destroy();
      }
    });
    options.onConnection?.(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
