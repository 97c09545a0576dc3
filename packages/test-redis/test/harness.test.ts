import { connect } from 'node:net';
import { Decoder, type Reply } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { openRawClient, startFakeServer, startRedisServer } from '../src/index.js';

describe('startRedisServer', () => {
  it('runs several servers at once and removes them on stop', async () => {
    const servers = await Promise.all([startRedisServer(), startRedisServer({ unixSocket: true })]);
    const [tcp, unix] = servers;
    expect(tcp!.port).toBeGreaterThan(0);
    expect(unix!.url).toMatch(/^unix:\/\//);
    const clients = await Promise.all([openRawClient(tcp!.port), openRawClient(unix!.socketPath!)]);
    await clients[0]!.call('SET', 'who', 'tcp');
    expect(await clients[1]!.call('GET', 'who')).toBeNull();
    for (const client of clients) client.close();
    const pids = servers.map((server) => server.pid);
    await Promise.all(servers.map((server) => server.stop()));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('passes extra flags to the server', async () => {
    const server = await startRedisServer({ args: ['--requirepass', 'secret'] });
    const client = await openRawClient(server.port);
    expect(await client.call('GET', 'k')).toMatchObject({ code: 'NOAUTH' });
    expect(await client.call('AUTH', 'secret')).toBe('OK');
    client.close();
    await server.stop();
  });

  it('restarts on the same port', async () => {
    const server = await startRedisServer();
    const before = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(before);
    const client = await openRawClient(server.port);
    expect(await client.call('PING')).toBe('PONG');
    client.close();
    await server.stop();
  });
});

describe('startFakeServer', () => {
  it('answers by script and can tear frames and hang up', async () => {
    const fake = await startFakeServer({
      onCommand: (command, connection) => {
        if (command[0] === 'TORN') {
          void connection.writeSlowly('$5\r\nhello\r\n', 2, 5).then(() => connection.hangUp());
          return undefined;
        }
        return 'OK';
      },
    });
    const socket = connect(fake.port, fake.host);
    const replies: Reply[] = [];
    const decoder = new Decoder({ onReply: (reply) => replies.push(reply) });
    socket.on('data', (data) => decoder.write(data));
    socket.write('*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nTORN\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(replies).toEqual(['OK', Buffer.from('hello')]);
    expect(fake.connections[0]?.commands).toEqual([['PING'], ['TORN']]);
    await fake.close();
  });
});
