import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommandEndMessage,
  type CommandStartMessage,
  dial,
  newLoggingConn,
} from '../../src/index.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ args: ['--requirepass', 'hunter2'] });
});
afterAll(() => server?.stop());

describe('tracing on node:diagnostics_channel', () => {
  it('publishes start and end of each command, with secrets redacted', async () => {
    const starts: CommandStartMessage[] = [];
    const ends: CommandEndMessage[] = [];
    const onStart = (message: unknown) => starts.push(message as CommandStartMessage);
    const onEnd = (message: unknown) => ends.push(message as CommandEndMessage);
    subscribe('@x/conn:command:start', onStart);
    subscribe('@x/conn:command:end', onEnd);
    try {
      const conn = await dial(server.url, { password: 'hunter2' });
      await conn.do('SET', 'traced', 'v');
      await conn.do('INCR', 'traced').catch(() => {});
      await conn.close();
    } finally {
      unsubscribe('@x/conn:command:start', onStart);
      unsubscribe('@x/conn:command:end', onEnd);
    }
    expect(starts.map((message) => message.command)).toEqual(['AUTH', 'SET', 'INCR']);
    expect(starts[0]?.args).toEqual(['?']);
    expect(JSON.stringify(starts)).not.toContain('hunter2');
    expect(ends[1]).toMatchObject({ command: 'SET', reply: 'OK' });
    expect(ends[2]?.error).toMatchObject({ name: 'ReplyError' });
    expect(ends.every((message) => message.durationMs >= 0)).toBe(true);
  });
});

describe('newLoggingConn', () => {
  it('logs every call and its outcome, never the password', async () => {
    const lines: string[] = [];
    const conn = newLoggingConn(
      await dial(server.url, { password: 'hunter2' }),
      (line) => lines.push(line),
      'app',
    );
    await conn.do('SET', 'logged', 'value');
    await conn.do('AUTH', 'hunter2');
    await conn.do('INCR', 'logged').catch(() => {});
    conn.send('GET', 'logged');
    await conn.flush();
    await conn.receive();
    await conn.close();
    expect(lines[0]).toBe("app.do('SET', 'logged', 'value') -> ('OK', null)");
    expect(lines[1]).toBe("app.do('AUTH', '?') -> ('OK', null)");
    expect(lines[2]).toMatch(
      /^app\.do\('INCR', 'logged'\) -> \(null, ReplyError: ERR value is not an integer/,
    );
    expect(lines[3]).toBe("app.send('GET', 'logged')");
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
