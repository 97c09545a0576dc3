import { inspect } from 'node:util';
import { dial, newLoggingConn } from '@x/conn';
import { Pool } from '@x/pool';
import { encodeCommand, ProtocolError } from '@x/resp';
import { startFakeServer, useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';

const password = 'correct horse battery staple';
const redis = useRedisServer({ args: ['--requirepass', password, '--proto-max-bulk-len', '1mb'] });

describe('secrets', () => {
  it('never shows the password in errors, logs or util.inspect', async () => {
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${redis.server.port}`;
    const conn = await dial(url);
    const pool = new Pool({ dial: () => dial(url) });
    await pool.do('PING');
    const lines: string[] = [];
    const logged = newLoggingConn(conn, (line) => lines.push(line));
    await logged.do('AUTH', password);
    await logged.do('CONFIG', 'SET', 'requirepass', password);
    const wrong = await dial(`redis://:wrong-${password}@127.0.0.1:${redis.server.port}`).catch(
      (error: unknown) => error,
    );
    const badUrl = await dial(`redis://:${password}@[broken`).catch((error: unknown) => error);
    const seen = [
      inspect(conn, { depth: 10, showHidden: true }),
      inspect(pool, { depth: 10, showHidden: true }),
      ...lines,
      String((wrong as Error).message),
      inspect(wrong, { depth: 10 }),
      String((badUrl as Error).message),
    ].join('\n');
    expect(seen).not.toContain(password);
    expect(seen).not.toContain(encodeURIComponent(password));
    await conn.close();
    await pool.close();
  });
});

describe('framing', () => {
  it('sends CRLF, RESP markers and binary inside keys and values as data', async () => {
    const conn = await dial(redis.url, { password });
    const key = 'k\r\n*1\r\n$4\r\nPING\r\n';
    const value = Buffer.from([13, 10, 0, 36, 45, 43, 255]);
    expect(await conn.do('SET', key, value)).toBe('OK');
    expect(await conn.do('GET', key)).toEqual(value);
    expect(await conn.do('DBSIZE')).toBe(1);
    await conn.close();
  });

  it('sends an argument at the server limit; past it the server drops the connection, nothing is stored', async () => {
    const conn = await dial(redis.url, { password });
    const limit = 1024 * 1024;
    expect(await conn.do('SET', 'at-limit', Buffer.alloc(limit, 'a'))).toBe('OK');
    expect(await conn.do('STRLEN', 'at-limit')).toBe(limit);
    const failure = await conn
      .do('SET', 'past-limit', Buffer.alloc(limit + 1, 'a'))
      .catch((error: unknown) => error);
    // The server answers "Protocol error: invalid bulk length" and hangs up; which the client sees
    // first, the reply or the reset of its still-running write, is a race. Both are clear.
    const { name, message } = failure as Error;
    expect(
      name === 'ConnectionError' || (name === 'ReplyError' && /invalid bulk length/.test(message)),
    ).toBe(true);
    const again = await dial(redis.url, { password });
    expect(await again.do('EXISTS', 'past-limit')).toBe(0);
    await again.close();
  });

  it('refuses, before sending, an argument over the limit it was told (maxArgBytes)', async () => {
    const conn = await dial(redis.url, { password, maxArgBytes: 1024 * 1024 });
    await expect(conn.do('SET', 'too-long', Buffer.alloc(1024 * 1024 + 1))).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(await conn.do('EXISTS', 'too-long')).toBe(0);
    await conn.close();
  });
});

describe('the 512 MiB argument limit (the server default)', () => {
  const big = useRedisServer();

  it('sends a 512 MiB - 1 byte key correctly and refuses 512 MiB + 1 before sending', async () => {
    const conn = await dial(big.url);
    const key = Buffer.alloc(512 * 1024 * 1024 - 1, 'k');
    expect(await conn.do('SET', key, 'v')).toBe('OK');
    expect(await conn.do('DBSIZE')).toBe(1);
    expect(await conn.do('STRLEN', key)).toBe(1);
    await conn.do('FLUSHALL');
    await expect(
      conn.do('SET', Buffer.alloc(512 * 1024 * 1024 + 1, 'k'), 'v'),
    ).rejects.toBeInstanceOf(RangeError);
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
  });
});

describe('hostile replies', () => {
  it.each([
    ['a bulk string over maxBulkLength', '$2000000000\r\n'],
    ['an array over maxAggregateLength', '*5000000000\r\n'],
    ['a nesting bomb', '*1\r\n'.repeat(1_000)],
    ['a line that never ends', `+${'a'.repeat(2 * 1024 * 1024)}`],
  ])('fails the connection cleanly on %s, allocating nothing for it', async (_name, reply) => {
    const fake = await startFakeServer({
      onCommand: (_command, connection) => {
        connection.write(reply);
        return undefined;
      },
    });
    const conn = await dial(fake.url);
    const heapBefore = process.memoryUsage().heapUsed;
    const failure = await conn.do('GET', 'x').catch((error: unknown) => error);
    // The server answers "Protocol error: invalid bulk length" and hangs up; which the client sees
    // first, the reply or the reset of its still-running write, is a race. Both are clear.
    const { name, message } = failure as Error;
    expect(
      name === 'ConnectionError' || (name === 'ReplyError' && /invalid bulk length/.test(message)),
    ).toBe(true);
    expect(ProtocolError.is((failure as Error).cause)).toBe(true);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await fake.close();
  });

  it('keeps framing on the wire for every argument type', () => {
    expect(encodeCommand(['SET', 'a\r\nb', 1.5, 10n, true, null]).toString()).toBe(
      '*6\r\n$3\r\nSET\r\n$4\r\na\r\nb\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n1\r\n$0\r\n\r\n',
    );
  });
});
