// After a reconnection, the Gap comes before any message of the new connection, even one that
// arrives in the same read as the resubscribe confirmation.
import { dial } from '@x/conn';
import { encodeReply, Push, type Reply, type ReplyValue } from '@x/resp';
import { startFakeServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { Gap, Message, Subscriber } from '../../src/index.js';

describe.each([2, 3] as const)('a Subscriber reconnecting over RESP%i', (protocol) => {
  it('yields the Gap before a message that came with the confirmation', async () => {
    let connections = 0;
    const server = await startFakeServer({
      onConnection: () => void connections++,
      onCommand: (command, connection) => {
        const name = command[0]?.toUpperCase();
        if (name === 'HELLO') return new Map<ReplyValue, ReplyValue>([['proto', 3]]);
        if (name !== 'SUBSCRIBE') return 'OK';
        const confirm = ['subscribe', command[1] as string, 1];
        const frame = (values: Reply[]) =>
          encodeReply(protocol === 3 ? new Push(values) : values, { protocol });
        // One write: the confirmation and, on the second connection, a message right behind it.
        const bytes = [frame(confirm)];
        if (connections === 2) bytes.push(frame(['message', command[1] as string, 'first']));
        connection.write(Buffer.concat(bytes));
        if (connections === 1) setTimeout(() => connection.hangUp(), 20);
        return undefined;
      },
    });
    const subscriber = new Subscriber({
      dial: ({ signal }) => dial(server.url, { protocol, signal }),
      minBackoffMs: 5,
    });
    await subscriber.subscribe('news');
    expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toBeInstanceOf(Gap);
    expect(await subscriber.receiveWith({ timeoutMs: 2_000 })).toEqual(
      new Message('news', Buffer.from('first')),
    );
    await subscriber.close();
    await server.close();
  });
});
