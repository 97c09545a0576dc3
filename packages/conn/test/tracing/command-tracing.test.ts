import { ReplyError } from '@x/resp';
import { openRawClient, useRedisServer } from '@x/test-redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommandTraceContext,
  ConnectionError,
  dial,
  TimeoutError,
  tracingChannelNames,
} from '../../src/index.js';
import { recordTraces, type TraceRecorder } from './trace-recorder.js';

const redis = useRedisServer();
let traces: TraceRecorder<CommandTraceContext>;
beforeEach(() => {
  traces = recordTraces<CommandTraceContext>(tracingChannelNames.command);
});
afterEach(() => traces.stop());

const of = (connectionId: number) =>
  traces.contexts.filter((context) => context.connectionId === connectionId);

describe('the x:conn:command TracingChannel', () => {
  it('publishes start and end during the call, asyncStart and asyncEnd when it settles', async () => {
    const conn = await dial(redis.url, { database: 2 });
    const pending = conn.do('SET', 'traced', 'v');
    // The dial's SELECT came first.
    const [select, context] = of(conn.id);
    expect(select).toMatchObject({ command: 'SELECT', args: [2], result: 'OK' });
    expect(traces.eventsOf(context!)).toEqual(['start', 'end']);
    await pending;
    expect(traces.eventsOf(context!)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(context).toEqual({
      command: 'SET',
      args: ['traced', 'v'],
      connectionId: conn.id,
      serverAddress: '127.0.0.1',
      serverPort: redis.server.port,
      database: 2,
      result: 'OK',
    });
    await conn.close();
  });

  it('publishes error with the error reply, and keeps the connection traced after it', async () => {
    const conn = await dial(redis.url);
    await conn.do('SET', 'text', 'x');
    await expect(conn.do('INCR', 'text')).rejects.toBeInstanceOf(ReplyError);
    await conn.do('GET', 'text');
    const [, incr, get] = of(conn.id);
    expect(traces.eventsOf(incr!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(incr!.error).toBeInstanceOf(ReplyError);
    expect(incr).not.toHaveProperty('result');
    expect(get!.result).toEqual(Buffer.from('x'));
    expect(traces.malformed()).toEqual([]);
    await conn.close();
  });

  it('settles each send once, read by receive or collected by do, error replies included', async () => {
    const conn = await dial(redis.url);
    await conn.do('SET', 'word', 'hello');
    conn.send('GET', 'word');
    conn.send('INCR', 'word');
    await conn.flush();
    expect(await conn.receive()).toEqual(Buffer.from('hello'));
    await expect(conn.receive()).rejects.toBeInstanceOf(ReplyError);
    conn.send('APPEND', 'word', '!');
    conn.send('INCR', 'word');
    const collected = (await conn.do('')) as unknown[];
    expect(collected[1]).toBeInstanceOf(ReplyError);
    await conn.close();
    const sends = of(conn.id).slice(1);
    expect(sends.map((context) => context.command)).toEqual(['GET', 'INCR', 'APPEND', 'INCR']);
    expect(sends.map((context) => traces.eventsOf(context).includes('error'))).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(sends[2]!.result).toBe(6);
    expect(traces.malformed()).toEqual([]);
  });

  it('settles a timed-out call once, when it times out: its late reply publishes nothing', async () => {
    const conn = await dial(redis.url);
    const started = performance.now();
    await expect(conn.doWith({ timeoutMs: 100 }, 'BLPOP', 'empty', 0.5)).rejects.toBeInstanceOf(
      TimeoutError,
    );
    const [blpop] = of(conn.id);
    expect(traces.eventsOf(blpop!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(TimeoutError.is(blpop!.error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(450);
    // The BLPOP's late reply (null after 0.5 s) is read before PING's.
    expect(await conn.do('PING')).toBe('PONG');
    expect(traces.eventsOf(blpop!)).toHaveLength(5);
    expect(blpop).not.toHaveProperty('result');
    expect(traces.malformed()).toEqual([]);
    await conn.close();
  });

  it('settles aborted calls once, written or not, and a do that gives up on earlier sends', async () => {
    const conn = await dial(redis.url);
    const alreadyAborted = conn.doWith({ signal: AbortSignal.abort('stop') }, 'GET', 'a');
    const controller = new AbortController();
    const unwritten = conn.doWith({ signal: controller.signal }, 'GET', 'b');
    controller.abort('changed my mind');
    await expect(alreadyAborted).rejects.toBe('stop');
    await expect(unwritten).rejects.toBe('changed my mind');
    conn.send('BLPOP', 'empty', 0.3);
    const collecting = conn.doWith({ timeoutMs: 50 }, 'GET', 'c');
    await expect(collecting).rejects.toBeInstanceOf(TimeoutError);
    expect(await conn.do('PING')).toBe('PONG');
    await conn.close();
    const [first, second, blpop, get, ping] = of(conn.id);
    expect([first!.error, second!.error]).toEqual(['stop', 'changed my mind']);
    expect(TimeoutError.is(blpop!.error) && TimeoutError.is(get!.error)).toBe(true);
    expect(ping!.result).toBe('PONG');
    expect(traces.malformed()).toEqual([]);
  });

  it('fails every command in flight once when the connection is killed mid-pipeline', async () => {
    const conn = await dial(redis.url);
    conn.send('BLPOP', 'never', 5);
    const behind = [
      conn.do('GET', 'x'),
      conn.do('INCR', 'n'),
      conn.doWith({ timeoutMs: 60_000 }, 'PING'),
    ];
    await conn.flush();
    const admin = await openRawClient(redis.server.port);
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    } finally {
      admin.close();
    }
    for (const call of behind) await expect(call).rejects.toBeInstanceOf(ConnectionError);
    await expect(conn.receive()).rejects.toBeInstanceOf(ConnectionError);
    const contexts = of(conn.id);
    expect(contexts.map((context) => context.command)).toEqual(['BLPOP', 'GET', 'INCR', 'PING']);
    for (const context of contexts) {
      expect(ConnectionError.is(context.error)).toBe(true);
      expect((context.error as ConnectionError).sent).toBe(true);
    }
    expect(traces.malformed()).toEqual([]);
  });

  it('traces RESP3: map replies, a SUBSCRIBE confirmed by pushes, and HELLO', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    await conn.do('HSET', 'h', 'f', 'v');
    await conn.do('HGETALL', 'h');
    await conn.do('SUBSCRIBE', 'news');
    await conn.do('PING');
    await conn.close();
    const [hello, , hgetall, subscribe, ping] = of(conn.id);
    expect(hello).toMatchObject({ command: 'HELLO', args: ['?'] });
    expect(hgetall!.result).toEqual(new Map([[Buffer.from('f'), Buffer.from('v')]]));
    expect(subscribe).toMatchObject({ command: 'SUBSCRIBE', result: null });
    expect(ping!.result).toBe('PONG');
    expect(traces.malformed()).toEqual([]);
  });
});
