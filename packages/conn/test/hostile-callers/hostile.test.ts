import { getEventListeners } from 'node:events';
import { ProtocolError, type Push, ReplyError } from '@x/resp';
import {
  captureProcessFaults,
  type FakeServer,
  startFakeServer,
  startRedisServer,
  useRedisServer,
} from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: hostile bytes, re-entrant callers, leaks.
const redis = useRedisServer();
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const answering = async (bytes: string, protocol: 2 | 3 = 2) => {
  fake = await startFakeServer({
    protocol,
    onCommand: ([name], connection) => {
      if (name === 'EVIL') {
        connection.write(bytes);
        return undefined;
      }
      return 'OK';
    },
  });
  return fake;
};

describe('malformed frames fail the connection at once (no wait for readTimeoutMs)', () => {
  const cases: [string, string][] = [
    ['a type byte that is not RESP', '?what\r\n'],
    ['a negative bulk length', '$-5\r\n'],
    ['an integer with letters', ':12ab\r\n'],
    ['an array count past every limit', '*99999999999999999999\r\n'],
    ['a bulk length over 512 MiB', '$600000000\r\n'],
    ['a bulk without its CRLF', '$3\r\nabcXY'],
    ['an invalid boolean', '#x\r\n'],
    ['an invalid double', ',abc\r\n'],
    ['nesting deeper than 128', `${'*1\r\n'.repeat(200)}:1\r\n`],
    ['a 4 MiB status line with no CRLF', `+${'a'.repeat(4 * 1024 * 1024)}`],
  ];
  for (const [name, bytes] of cases) {
    it(name, async () => {
      const server = await answering(bytes);
      const conn = await dial(server.url);
      const outcome = await within(conn.do('EVIL'), 1_000);
      conn.destroy();
      expect(outcome.status).toBe('rejected');
      const error = outcome.status === 'rejected' ? (outcome.error as ConnectionError) : undefined;
      expect(ConnectionError.is(error)).toBe(true);
      expect(error?.cause).toBeInstanceOf(ProtocolError);
      expect(error?.sent).toBe(true);
    });
  }

  it('a decoder.maxReplyBytes bound is honoured', async () => {
    const server = await answering(
      `*3\r\n$600\r\n${'a'.repeat(600)}\r\n$600\r\n${'b'.repeat(600)}\r\n:1\r\n`,
    );
    const conn = await dial(server.url, { decoder: { maxReplyBytes: 1_000 } });
    const outcome = await within(conn.do('EVIL'), 1_000);
    conn.destroy();
    expect(outcome.status === 'rejected' && (outcome.error as Error).cause).toBeInstanceOf(
      ProtocolError,
    );
  });
});

describe('frames a real server can send too (what holds)', () => {
  it('an attribute before the reply, a blob error, a verbatim string, a push amid replies', async () => {
    fake = await startFakeServer({
      protocol: 3,
      onCommand: ([name], connection) => {
        if (name === 'ATTR') connection.write('|1\r\n+ttl\r\n:5\r\n+OK\r\n');
        else if (name === 'BLOB') connection.write('!9\r\nERR blobs\r\n');
        else if (name === 'VERB') connection.write('=7\r\ntxt:abc\r\n');
        else if (name === 'PUSHY') connection.write('>2\r\n+message\r\n+x\r\n+after-push\r\n');
        else return 'OK';
        return undefined;
      },
    });
    const conn = await dial(fake.url, { protocol: 3 });
    const pushes: Push[] = [];
    conn.onPush((push) => pushes.push(push));
    const [attr, blob, verb, pushy] = await Promise.all([
      conn.do('ATTR'),
      conn.do('BLOB').catch((error: unknown) => error),
      conn.do('VERB'),
      conn.do('PUSHY'),
    ]);
    conn.destroy();
    expect(attr).toBe('OK');
    expect(blob).toBeInstanceOf(ReplyError);
    expect(text(verb)).toBe('abc');
    expect(pushy).toBe('after-push');
    expect(pushes).toHaveLength(1);
  });

  it('a reply torn into 1-byte writes 5 ms apart', async () => {
    fake = await startFakeServer({
      onCommand: ([name], connection) => {
        if (name === 'TORN') {
          void connection.writeSlowly('*2\r\n$5\r\nhello\r\n:42\r\n', 1, 5);
          return undefined;
        }
        return 'OK';
      },
    });
    const conn = await dial(fake.url);
    expect(text(await conn.do('TORN'))).toEqual(['hello', 42]);
    expect(await conn.do('PING')).toBe('OK');
    conn.destroy();
  });
});

describe('re-entrant callers', () => {
  it('a push listener that destroys the connection mid-chunk: no uncaught error, calls settle', async () => {
    fake = await startFakeServer({
      protocol: 3,
      onCommand: ([name], connection) => {
        if (name === 'GO') {
          connection.write('>2\r\n+message\r\n+x\r\n+one\r\n+two\r\n');
          return undefined;
        }
        return 'OK';
      },
    });
    const conn = await dial(fake.url, { protocol: 3 });
    const faults = captureProcessFaults();
    conn.onPush(() => conn.destroy(new Error('listener says stop')));
    const first = within(conn.do('GO'), 1_000);
    const second = within(conn.do('NEXT'), 1_000);
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect((a as { error: ConnectionError }).error.sent).toBe(true);
    expect(await faults.stop()).toEqual([]);
  });

  it('a push listener that issues commands and closes the connection', async () => {
    const conn = await dial(redis.url, { protocol: 3 });
    const other = await dial(redis.url);
    const results: unknown[] = [];
    const faults = captureProcessFaults();
    conn.onPush((push) => {
      if (push.kind !== 'message') return;
      results.push(conn.do('ECHO', 'from-listener'));
      results.push(conn.close());
    });
    await conn.do('SUBSCRIBE', 'adv:reentrant');
    await other.do('PUBLISH', 'adv:reentrant', 'go');
    await sleep(100);
    const settled = await Promise.all(
      results.map((result) => within(result as Promise<unknown>, 1_000)),
    );
    await other.close();
    expect(settled.map((outcome) => outcome.status)).toEqual(['resolved', 'resolved']);
    expect(await faults.stop()).toEqual([]);
  });

  it('a reply callback that destroys the connection while later replies are in the same chunk', async () => {
    const conn = await dial(redis.url);
    const faults = captureProcessFaults();
    const calls = Array.from({ length: 100 }, (_, index) =>
      conn.do('ECHO', `e${index}`).then((reply) => {
        if (index === 10) conn.destroy();
        return reply;
      }),
    );
    const outcomes = await Promise.all(calls.map((call) => within(call, 1_000)));
    expect(outcomes.every((outcome) => outcome.status !== 'pending')).toBe(true);
    expect(await faults.stop()).toEqual([]);
  });
});

describe('leaks with a long-lived signal', () => {
  it('1,000 calls on one AbortSignal leave no abort listener behind (do, do after send, receive, do(""))', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const conn = await dial(redis.url);
    for (let index = 0; index < 250; index++) {
      await conn.doWith({ signal }, 'PING');
      conn.send('PING');
      await conn.doWith({ signal }, 'PING');
      conn.send('PING');
      await conn.receiveWith({ signal });
      conn.send('PING');
      await conn.doWith({ signal }, '');
    }
    await conn.close();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('memory with default options', () => {
  it('MONITOR output nobody reads stops being read near maxBufferedReplies', async () => {
    const monitor = await dial(redis.url);
    await monitor.do('MONITOR');
    const busy = await dial(redis.url);
    for (let round = 0; round < 30; round++)
      await Promise.all(Array.from({ length: 1_000 }, () => busy.do('PING')));
    await sleep(200);
    const buffered = monitor.bufferedReplies;
    monitor.destroy();
    await busy.close();
    expect(buffered).toBeLessThan(12_000);
  });
});

describe('a server at maxclients', () => {
  it('dial or the first call reports the server refusal, not a bare protocol violation', async () => {
    const server = await startRedisServer({ args: ['--maxclients', '1'] });
    try {
      const first = await dial(server.url);
      const second = await within(dial(server.url), 2_000);
      let reported: unknown = second.status === 'rejected' ? second.error : undefined;
      if (second.status === 'resolved') {
        const conn = second.value as Awaited<ReturnType<typeof dial>>;
        const ping = await within(conn.do('PING'), 2_000);
        reported = ping.status === 'rejected' ? ping.error : ping;
        conn.destroy();
      }
      first.destroy();
      const chain = (error: unknown): string =>
        error instanceof Error ? `${error.message} <- ${chain(error.cause)}` : String(error);
      expect(chain(reported)).toMatch(/max number of clients/);
    } finally {
      await server.stop();
    }
  });
});
