import { ProtocolError, Push, type ReplyValue } from '@x/resp';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial, TimeoutError } from '../../src/index.js';

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const text = (value: string) => Buffer.from(value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults a real server cannot make', () => {
  it('assembles a reply torn at every byte offset', async () => {
    const wire = '*3\r\n$5\r\nhello\r\n:42\r\n%1\r\n+k\r\n#t\r\n';
    fake = await startFakeServer({
      onCommand: async ([name, at], connection) => {
        if (name !== 'TORN') return 'OK';
        const split = Number(at);
        connection.write(wire.slice(0, split));
        await sleep(2);
        connection.write(wire.slice(split));
        return undefined;
      },
    });
    const conn = await dial(fake.url);
    for (let split = 1; split < wire.length; split++) {
      expect(await conn.do('TORN', split)).toEqual([text('hello'), 42, new Map([['k', true]])]);
    }
    await conn.close();
  });

  it('fails every pending call with ConnectionError caused by ProtocolError on garbage', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'GARBAGE') connection.write('+OK\r\n?this is not RESP\r\n');
        return undefined;
      },
    });
    const conn = await dial(fake.url);
    const calls = ['GARBAGE', 'SECOND', 'THIRD'].map((name) =>
      conn.do(name).catch((error: unknown) => error),
    );
    const [first, second, third] = await Promise.all(calls);
    expect(first).toBe('OK');
    expect(second).toBeInstanceOf(ConnectionError);
    expect((second as ConnectionError).cause).toBeInstanceOf(ProtocolError);
    expect(third).toBe(second);
    expect((second as ConnectionError).sent).toBe(true);
    const later = await conn.do('PING').catch((error: unknown) => error);
    expect(later).toMatchObject({ message: (second as Error).message, sent: false });
    expect(conn.err()).toBe(later);
  });

  it('keeps replies in step when a stalled reply arrives after its caller timed out', async () => {
    fake = await startFakeServer({
      onCommand: async ([name, value]) => {
        if (name === 'SLOW') await sleep(150);
        return value ?? 'OK';
      },
    });
    const conn = await dial(fake.url);
    const slow = conn.doWithTimeout(30, 'SLOW', 'slow-reply').catch((error: unknown) => error);
    expect(await slow).toBeInstanceOf(TimeoutError);
    const fast = conn.do('FAST', 'fast-reply');
    const other = conn.do('FAST', 'other-reply');
    expect(await fast).toBe('fast-reply');
    expect(await other).toBe('other-reply');
    await conn.close();
  });

  it('rejects all of 1,000 commands in flight when the server hangs up', async () => {
    fake = await startFakeServer({
      onCommand: (_command, connection) => {
        if (connection.commands.length === 1_000) connection.hangUp();
        return undefined;
      },
    });
    const conn = await dial(fake.url);
    const outcomes = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) =>
        conn.do('SET', `k${index}`, index).catch((error: unknown) => error),
      ),
    );
    expect(outcomes.every((outcome) => outcome instanceof ConnectionError)).toBe(true);
    expect(new Set(outcomes).size).toBe(1);
  });

  it('rejects dial when the server hangs up during the handshake', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'HELLO' || name === 'AUTH') connection.hangUp();
        return undefined;
      },
    });
    await expect(dial(fake.url, { protocol: 3 })).rejects.toBeInstanceOf(ConnectionError);
    await expect(dial(fake.url, { password: 'x' })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('times out a handshake that never answers', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const failure = await dial(fake.url, { protocol: 3, connectTimeoutMs: 100 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TimeoutError);
  });

  it('finds a dead peer on an idle connection with keep-alive PINGs', async () => {
    let answering = true;
    fake = await startFakeServer({
      onCommand: ([name]) => (answering || name !== 'PING' ? 'PONG' : undefined),
    });
    const conn = await dial(fake.url, { keepAlivePingMs: 40 });
    await sleep(120);
    expect(conn.err()).toBeNull();
    expect(
      fake.connections[0]?.commands.filter(([name]) => name === 'PING').length,
    ).toBeGreaterThan(0);
    answering = false;
    await expect.poll(() => conn.err(), { timeout: 2_000 }).toBeInstanceOf(ConnectionError);
    expect(conn.err()?.cause).toBeInstanceOf(TimeoutError);
    await expect(conn.do('GET', 'k')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('routes push frames interleaved with replies to listeners', async () => {
    const push = (message: string): ReplyValue => new Push(['message', 'ch', message]);
    fake = await startFakeServer({
      protocol: 3,
      onCommand: ([name, value], connection) => {
        if (name === 'HELLO') return new Map([['proto', 3]]);
        connection.reply(push(`before-${value}`));
        connection.reply(value ?? null);
        connection.reply(push(`after-${value}`));
        return undefined;
      },
    });
    const conn = await dial(fake.url, { protocol: 3 });
    const pushes: string[] = [];
    conn.onPush((frame) => pushes.push(String(frame.values[2])));
    const replies = await Promise.all(['a', 'b', 'c'].map((value) => conn.do('ECHO', value)));
    expect(replies).toEqual(['a', 'b', 'c']);
    await expect.poll(() => pushes.length).toBe(6);
    expect(pushes).toEqual(['before-a', 'after-a', 'before-b', 'after-b', 'before-c', 'after-c']);
    await conn.close();
  });
});
