import { once } from 'node:events';
import { connect } from 'node:net';
import { ReplyError } from '@x/resp';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, ConnectionError, dial, newConn } from '../../src/index.js';

let server: RedisServer;
let unixServer: RedisServer;
let conn: Connection;

beforeAll(async () => {
  [server, unixServer] = await Promise.all([
    startRedisServer(),
    startRedisServer({ unixSocket: true }),
  ]);
  conn = await dial(server.url);
});

afterAll(async () => {
  await conn?.close();
  await Promise.all([server?.stop(), unixServer?.stop()]);
});

const text = (value: string) => Buffer.from(value);

describe('dial', () => {
  it('connects by URL, host:port, options and Unix socket', async () => {
    const conns = await Promise.all([
      dial(`127.0.0.1:${server.port}`),
      dial(undefined, { port: server.port }),
      dial(unixServer.url),
      dial(unixServer.socketPath),
    ]);
    for (const each of conns) expect(await each.do('PING')).toBe('PONG');
    await Promise.all(conns.map((each) => each.close()));
  });

  it('selects the database from the URL and sets the client name', async () => {
    const named = await dial(`${server.url}/3`, { clientName: 'tester' });
    expect(await named.do('CLIENT', 'GETNAME')).toEqual(text('tester'));
    await named.do('SET', 'where', 'db3');
    expect(await conn.do('GET', 'where')).toBeNull();
    expect(await named.do('GET', 'where')).toEqual(text('db3'));
    await named.close();
  });

  it('fails with a ConnectionError when nothing listens', async () => {
    const closedPort = server.port === 1 ? 2 : 1;
    await expect(dial(`127.0.0.1:${closedPort}`)).rejects.toMatchObject({
      name: 'ConnectionError',
    });
  });
});

describe('do, send, flush, receive', () => {
  it('runs commands and returns replies as RESP values', async () => {
    expect(await conn.do('SET', 'k', 'v')).toBe('OK');
    expect(await conn.do('GET', 'k')).toEqual(text('v'));
    expect(await conn.do('INCRBY', 'n', 5)).toBe(5);
    expect(await conn.do('GET', 'missing')).toBeNull();
    expect(await conn.do('MGET', ['k', 'missing'])).toEqual([text('v'), null]);
  });

  it('rejects with the ReplyError and keeps the connection usable', async () => {
    await expect(conn.do('LPUSH', 'k', 'x')).rejects.toMatchObject({ code: 'WRONGTYPE' });
    expect(conn.err()).toBeNull();
    expect(await conn.do('PING')).toBe('PONG');
  });

  it('rejects a bad argument with a TypeError and sends nothing', async () => {
    await expect(conn.do('SET', 'k', undefined as never)).rejects.toThrow(TypeError);
    await expect(conn.do('SET', 'k', Number.NaN)).rejects.toThrow(TypeError);
    expect(await conn.do('GET', 'k')).toEqual(text('v'));
  });

  it('pipelines with send, flush and receive', async () => {
    conn.send('SET', 'p', 1);
    conn.send('INCR', 'p');
    conn.send('GET', 'p');
    await conn.flush();
    expect(await conn.receive()).toBe('OK');
    expect(await conn.receive()).toBe(2);
    expect(await conn.receive()).toEqual(text('2'));
  });

  it('do reads the replies of earlier sends and returns its own', async () => {
    conn.send('SET', 'a', 1);
    conn.send('INCR', 'a');
    expect(await conn.do('GET', 'a')).toEqual(text('2'));
    expect(await conn.do('')).toBeNull();
  });

  it('do rejects with the first error among pending replies but consumes them all', async () => {
    conn.send('SET', 'str', 'x');
    conn.send('INCR', 'str');
    conn.send('LPUSH', 'str', 'y');
    const failure = await conn.do('SET', 'after', 'ok').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as ReplyError).message).toMatch(/not an integer/);
    expect(await conn.do('GET', 'after')).toEqual(text('ok'));
  });

  it('do("") returns every pending reply, errors as values', async () => {
    conn.send('SET', 'e', 'x');
    conn.send('INCR', 'e');
    conn.send('GET', 'e');
    const replies = (await conn.do('')) as unknown[];
    expect(replies).toHaveLength(3);
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(ReplyError);
    expect(replies[2]).toEqual(text('x'));
  });

  it('runs 10,000 sends then do("")', async () => {
    for (let index = 0; index < 10_000; index++) conn.send('RPUSH', 'list10k', index);
    const replies = (await conn.do('')) as number[];
    expect(replies).toHaveLength(10_000);
    expect(replies[9_999]).toBe(10_000);
    expect(await conn.do('LINDEX', 'list10k', 1234)).toEqual(text('1234'));
  });

  it('returns an error inside EXEC as a value in the array', async () => {
    await conn.do('SET', 'tx', 'notanumber');
    conn.send('MULTI');
    conn.send('SET', 'tx2', 'v');
    conn.send('INCR', 'tx');
    const exec = (await conn.do('EXEC')) as unknown[];
    expect(exec[0]).toBe('OK');
    expect(exec[1]).toBeInstanceOf(ReplyError);
    expect(await conn.do('GET', 'tx2')).toEqual(text('v'));
  });

  it('gives each pipeline its own replies while others use the connection', async () => {
    const pipeline = conn.pipeline();
    pipeline.send('SET', 'pl', 'one');
    pipeline.send('INCR', 'pl');
    const concurrent = conn.do('ECHO', 'between');
    pipeline.send('GET', 'pl');
    const [replies, echoed] = await Promise.all([pipeline.receiveAll(), concurrent]);
    expect(echoed).toEqual(text('between'));
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(ReplyError);
    expect(replies[2]).toEqual(text('one'));
  });
});

describe('concurrency', () => {
  it('matches 1,000 concurrent callers to their own replies', async () => {
    const replies = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) => conn.do('ECHO', `value-${index}`)),
    );
    replies.forEach((reply, index) => {
      expect(reply).toEqual(text(`value-${index}`));
    });
  });

  it('writes commands issued in the same tick in one write', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    let writes = 0;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      writes++;
      return write(...args);
    }) as typeof socket.write;
    const counted = newConn(socket);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, index) => counted.do('SET', `tick:${index}`, index)),
    );
    expect(replies.every((reply) => reply === 'OK')).toBe(true);
    expect(writes).toBe(1);
    await counted.close();
  });
});

describe('fatal errors and close', () => {
  it('rejects pending and later calls with ConnectionError after close', async () => {
    const closing = await dial(server.url);
    const pending = closing.do('BLPOP', 'never', 0).catch((error: unknown) => error);
    // BLPOP 0 never finishes: close() gives up after its time limit.
    await closing.close({ timeoutMs: 200 });
    expect(await pending).toBeInstanceOf(ConnectionError);
    await expect(closing.do('PING')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(() => closing.send('PING')).toThrow(ConnectionError);
    expect(closing.err()).toBeInstanceOf(ConnectionError);
  });

  it('still hands out replies that arrived before the connection broke, then rejects', async () => {
    const owner = await dial(server.url);
    const id = await owner.do('CLIENT', 'ID');
    owner.send('ECHO', 'one');
    owner.send('ECHO', 'two');
    await owner.flush();
    await expect.poll(() => owner.bufferedReplies).toBe(2);
    await conn.do('CLIENT', 'KILL', 'ID', id as number);
    await expect.poll(() => owner.err()).toBeInstanceOf(ConnectionError);
    expect(await owner.receive()).toEqual(text('one'));
    expect(await owner.receive()).toEqual(text('two'));
    await expect(owner.receive()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('rejects every pending call when the server kills the connection', async () => {
    const victim = await dial(server.url);
    const id = await victim.do('CLIENT', 'ID');
    const blocked = Array.from({ length: 3 }, () =>
      victim.do('BLPOP', 'never', 0).catch((error: unknown) => error),
    );
    expect(await conn.do('CLIENT', 'KILL', 'ID', id as number)).toBe(1);
    for (const outcome of await Promise.all(blocked))
      expect(outcome).toBeInstanceOf(ConnectionError);
    await expect(victim.do('PING')).rejects.toBeInstanceOf(ConnectionError);
  });
});
