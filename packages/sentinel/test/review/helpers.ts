import { createServer, type Server, type Socket } from 'node:net';
import { ReplyError, type ReplyValue } from '@x/resp';
import {
  type FakeConnection,
  type FakeServer,
  type RedisServer,
  startFakeServer,
  startRedisServer,
} from '@x/test-redis';
import { afterAll, beforeAll } from 'vitest';

/** A scripted sentinel for the review: every answer is a function the test can change. */
export interface ReviewSentinel extends FakeServer {
  readonly address: string;
  master: () => ReplyValue | undefined;
  sentinels: () => ReplyValue | undefined;
  replicas: () => ReplyValue | undefined;
  /** Connections that are still open on the server side. */
  open(): FakeConnection[];
  subscribed(): FakeConnection[];
  announceSwitch(payload: string): void;
}

export async function startReviewSentinel(
  master: () => ReplyValue | undefined,
): Promise<ReviewSentinel> {
  const subs = new Set<FakeConnection>();
  const closed = new WeakSet<FakeConnection>();
  const self = {
    master,
    sentinels: (): ReplyValue | undefined => [],
    replicas: (): ReplyValue | undefined => [],
  };
  const server = await startFakeServer({
    onConnection: (connection) => {
      connection.socket.on('close', () => closed.add(connection));
    },
    onCommand: (command, connection) => {
      const [name = '', sub = ''] = command.map((part) => part.toUpperCase());
      if (name === 'PING') return 'PONG';
      if (name === 'SUBSCRIBE') {
        subs.add(connection);
        return ['subscribe', command[1] ?? '', 1];
      }
      if (name !== 'SENTINEL') return new ReplyError('ERR unknown command');
      if (sub === 'GET-MASTER-ADDR-BY-NAME') return self.master();
      if (sub === 'SENTINELS') return self.sentinels();
      if (sub === 'REPLICAS') return self.replicas();
      return new ReplyError('ERR unknown subcommand');
    },
  });
  const result = Object.assign(server, {
    address: `${server.host}:${server.port}`,
    open: () => server.connections.filter((c) => !closed.has(c) && !c.socket.destroyed),
    subscribed: () => [...subs].filter((c) => !closed.has(c) && !c.socket.destroyed),
    announceSwitch(payload: string) {
      for (const c of subs)
        if (!c.socket.destroyed) c.reply(['message', '+switch-master', payload]);
    },
  });
  Object.defineProperty(result, 'master', {
    get: () => self.master,
    set: (f) => (self.master = f),
  });
  Object.defineProperty(result, 'sentinels', {
    get: () => self.sentinels,
    set: (f) => (self.sentinels = f),
  });
  Object.defineProperty(result, 'replicas', {
    get: () => self.replicas,
    set: (f) => (self.replicas = f),
  });
  return result as unknown as ReviewSentinel;
}

/** A TCP server that accepts connections and never writes a byte (a hung node or sentinel). */
export async function startBlackHole(): Promise<{
  host: string;
  port: number;
  sockets: Socket[];
  close(): Promise<void>;
}> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: '127.0.0.1',
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A real master and a review sentinel that names it, shared by a file's tests. */
export interface MasterAndSentinel {
  readonly master: RedisServer;
  readonly sentinel: ReviewSentinel;
}

/** Starts a master and a sentinel naming it before the file's tests, and stops both after. */
export function useMasterAndSentinel(): MasterAndSentinel {
  let master: RedisServer | undefined;
  let sentinel: ReviewSentinel | undefined;
  beforeAll(async () => {
    const started = await startRedisServer();
    master = started;
    sentinel = await startReviewSentinel(() => [started.host, String(started.port)]);
  });
  afterAll(async () => {
    await sentinel?.close();
    await master?.stop();
  });
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('only inside tests and hooks');
    return value;
  };
  return {
    get master() {
      return running(master);
    },
    get sentinel() {
      return running(sentinel);
    },
  };
}
