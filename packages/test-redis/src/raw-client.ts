import { connect, type Socket } from 'node:net';
import { type Arg, Decoder, encodeCommand, type Push, type Reply } from '@x/resp';

/** RawClient is a bare socket plus @x/resp, for tests that must not depend on @x/conn. */
export interface RawClient {
  /** Sends one command and resolves to its reply; error replies resolve as values. */
  call(...command: Arg[]): Promise<Reply>;
  readonly pushes: Push[];
  readonly attributes: Map<Reply, Reply>[];
  close(): void;
}

/** Opens a RawClient to `port` on 127.0.0.1, or to a Unix socket path. */
export async function openRawClient(target: number | string): Promise<RawClient> {
  const socket: Socket =
    typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
  const waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  const pushes: Push[] = [];
  const attributes: Map<Reply, Reply>[] = [];
  const decoder = new Decoder({
    onReply: (reply) => waiting.shift()?.resolve(reply),
    onPush: (push) => pushes.push(push),
    onAttribute: (map) => attributes.push(map),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('data', (data) => decoder.write(data));
  socket.on('close', () => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed'));
  });
  return {
    pushes,
    attributes,
    call: (...command) =>
      new Promise<Reply>((resolve, reject) => {
        if (socket.destroyed) return reject(new Error('connection closed'));
        waiting.push({ resolve, reject });
        socket.write(encodeCommand(command));
      }),
    close: () => socket.destroy(),
  };
}
