import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { useRedisServer } from '@x/test-redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Conn, dial, newLoggingConn } from '../../src/index.js';

// A password never appears in an error message, a log line or a diagnostics event: not inside
// EXEC's reply, not in the reply of a send read by receive() or do(), not when spelled like a
// keyword of its command.
const PASSWORD = 'Sup3r-S3cret-Pw';
// HELLO renamed: the server echoes the arguments of an unknown command, as Redis 5 echoes HELLO's.
const redis = useRedisServer({
  args: ['--requirepass', PASSWORD, '--rename-command', 'HELLO', 'HELLO-RENAMED'],
});

// Buffers are decoded first: inspect() prints them as hex, which hides nothing.
const decoded = (value: unknown): unknown =>
  Buffer.isBuffer(value)
    ? value.toString()
    : Array.isArray(value)
      ? value.map(decoded)
      : value instanceof Error
        ? `${value.name}: ${value.message}`
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decoded(item)]))
          : value;
const hex = (text: string) => Buffer.from(text).toString('hex').replace(/(..)/g, '$1 ').trim();

interface Observed {
  conn: Conn;
  lines: string[];
  events: string[];
  /** What the caller got back: replies, and errors as values. */
  outcomes: unknown[];
}

let observed: Observed;
const record = (message: unknown) => observed.events.push(inspect(decoded(message), { depth: 10 }));
beforeEach(async () => {
  const lines: string[] = [];
  const conn = newLoggingConn(await dial(redis.url, { password: PASSWORD }), (line) =>
    lines.push(line),
  );
  observed = { conn, lines, events: [], outcomes: [] };
  subscribe('@x/conn:command:start', record);
  subscribe('@x/conn:command:end', record);
});
afterEach(async () => {
  unsubscribe('@x/conn:command:start', record);
  unsubscribe('@x/conn:command:end', record);
  await observed.conn.close();
});

const keep = async (reply: Promise<unknown>): Promise<void> => {
  observed.outcomes.push(await reply.catch((error: unknown) => error));
};

/** Each case: how a secret reaches the server, and the secret (spelled as the server echoes it). */
const cases: {
  name: string;
  secret: string;
  run: (conn: Conn) => Promise<void>;
  /** The logging connection does not log pipelines. */
  unlogged?: true;
}[] = [
  {
    name: 'CONFIG GET requirepass queued by send() in MULTI, EXEC by do()',
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('MULTI');
      conn.send('SET', 'redaction:multi', 'shown');
      conn.send('CONFIG', 'GET', 'requirepass');
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'CONFIG GET requirepass in MULTI by do() calls',
    secret: PASSWORD,
    run: async (conn) => {
      await conn.do('MULTI');
      await conn.do('CONFIG', 'GET', 'requirepass');
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: "ACL SETUSER with a bad rule (the password without '>') in MULTI",
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('MULTI');
      conn.send('ACL', 'SETUSER', 'alice', 'on', PASSWORD);
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'EXEC sent and read by receive()',
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('MULTI');
      conn.send('CONFIG', 'GET', 'requirepass');
      conn.send('EXEC');
      for (let reply = 0; reply < 3; reply++) await keep(conn.receive());
    },
  },
  {
    name: 'a transaction in a pipeline',
    secret: PASSWORD,
    unlogged: true,
    run: async (conn) => {
      const pipeline = conn.pipeline();
      pipeline.send('MULTI');
      pipeline.send('CONFIG', 'GET', 'requirepass');
      pipeline.send('EXEC');
      await keep(pipeline.receiveAll());
    },
  },
  {
    name: 'CONFIG GET requirepass by send(), read by receive()',
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('CONFIG', 'GET', 'requirepass');
      conn.send('PING');
      await keep(conn.receive());
      await keep(conn.receive());
    },
  },
  {
    name: 'CONFIG GET requirepass by send(), collected by do("")',
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('PING');
      conn.send('CONFIG', 'GET', 'requirepass');
      await keep(conn.do(''));
    },
  },
  {
    name: 'CONFIG GET requirepass by send(), collected by do(cmd)',
    secret: PASSWORD,
    run: async (conn) => {
      conn.send('CONFIG', 'GET', 'requirepass');
      await keep(conn.do('PING'));
    },
  },
  {
    name: "an ACL SETUSER rule spelled like a keyword ('Log')",
    secret: "'Log'",
    run: (conn) => keep(conn.do('ACL', 'SETUSER', 'alice', 'Log')),
  },
  {
    name: "an ACL SETUSER rule spelled like a keyword ('3'), arguments in an array",
    secret: "'3'",
    run: (conn) => keep(conn.do('ACL', ['SETUSER', 'alice', '3'])),
  },
  {
    name: "HELLO refused with AUTH default 'Log'",
    secret: "'Log'",
    run: (conn) => keep(conn.do('HELLO', 3, 'AUTH', 'default', 'Log')),
  },
  {
    name: "HELLO refused with AUTH default 'on' by send()",
    secret: "'on'",
    run: async (conn) => {
      conn.send('HELLO', 3, 'AUTH', 'default', 'on');
      await keep(conn.do(''));
    },
  },
  {
    name: 'HELLO refused with a long password, echoed cut at 128 bytes',
    secret: 'x'.repeat(100),
    run: (conn) => keep(conn.do('HELLO', 3, 'AUTH', 'default', 'x'.repeat(300))),
  },
];

describe('secrets in traces, logs and errors', () => {
  it.each(cases)('$name', async ({ secret, run, unlogged }) => {
    await run(observed.conn);
    const { lines, events, outcomes } = observed;
    expect(lines.length > 0).toBe(!unlogged);
    expect(events.length).toBeGreaterThan(0);
    const leaks = (text: string) => text.includes(secret) || text.includes(hex(secret));
    expect(lines.filter(leaks)).toEqual([]);
    expect(events.filter(leaks)).toEqual([]);
    // Errors the caller gets from a secret command are redacted too, also inside EXEC's reply.
    const errors = (outcomes as unknown[])
      .flat(Number.POSITIVE_INFINITY)
      .filter((outcome) => outcome instanceof Error);
    expect(errors.map((error) => String(error)).filter(leaks)).toEqual([]);
  });
});

describe('what redaction keeps', () => {
  it('the caller still gets the real reply of EXEC, and the log the elements without secrets', async () => {
    await cases[0]!.run(observed.conn);
    const [reply] = observed.outcomes as [unknown[]];
    expect(decoded(reply)).toEqual(['OK', ['requirepass', PASSWORD]]);
    const exec = observed.lines.find((line) => line.startsWith("redis.do('EXEC')"));
    expect(exec).toBe("redis.do('EXEC') -> ([ 'OK', '?' ], null)");
  });

  it('replies after a secret one read by receive() are shown again', async () => {
    await cases[5]!.run(observed.conn);
    expect(observed.lines.slice(-2)).toEqual([
      "redis.receive() -> ('?', null)",
      "redis.receive() -> ('PONG', null)",
    ]);
  });
});

const HIDDEN_EXEC = "redis.do('EXEC') -> ('?', null)";
const SHOWN_EXEC = "redis.do('EXEC') -> ([ 'OK', '?' ], null)";

/**
 * The logging connection shows EXEC's elements one by one only when it knows which command each
 * answers; a call that never reached the server, or a command that reached it unseen, could
 * otherwise put CONFIG GET's reply under a harmless command's name.
 */
const transactions: { name: string; exec: string; run: (conn: Conn) => Promise<void> }[] = [
  {
    name: 'a call refused before it is written, and a pipeline send',
    exec: HIDDEN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await keep(conn.do('SET', 'redaction:exec', undefined as never));
      await conn.do('CONFIG', 'GET', 'requirepass');
      const pipeline = conn.pipeline();
      pipeline.send('PING');
      await pipeline.receiveAll();
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'a call given up before it is written (aborted signal), and a pipeline send',
    exec: HIDDEN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await keep(conn.doWith({ signal: AbortSignal.abort() }, 'ECHO', 'x'));
      await conn.do('CONFIG', 'GET', 'requirepass');
      const pipeline = conn.pipeline();
      pipeline.send('PING');
      await pipeline.receiveAll();
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'a pipeline that discards the transaction and opens another',
    exec: HIDDEN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await conn.do('PING');
      const pipeline = conn.pipeline();
      pipeline.send('DISCARD');
      pipeline.send('MULTI');
      pipeline.send('CONFIG', 'GET', 'requirepass');
      await pipeline.receiveAll();
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'a DISCARD given up before it is written',
    exec: HIDDEN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await conn.do('CONFIG', 'GET', 'requirepass');
      await keep(conn.doWith({ signal: AbortSignal.abort() }, 'DISCARD'));
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'a WATCH the server refuses inside MULTI (not queued)',
    exec: SHOWN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await keep(conn.do('WATCH', 'redaction:exec'));
      await conn.do('SET', 'redaction:exec', 'shown');
      await conn.do('CONFIG', 'GET', 'requirepass');
      await keep(conn.do('EXEC'));
    },
  },
  {
    name: 'calls not awaited before EXEC',
    exec: SHOWN_EXEC,
    run: async (conn) => {
      const queued = [
        conn.do('MULTI'),
        conn.do('SET', 'redaction:exec', 'shown'),
        conn.do('CONFIG', 'GET', 'requirepass'),
      ];
      await keep(conn.do('EXEC'));
      await Promise.all(queued);
    },
  },
  {
    name: 'a transaction after one discarded',
    exec: SHOWN_EXEC,
    run: async (conn) => {
      await conn.do('MULTI');
      await conn.do('PING');
      await conn.do('DISCARD');
      await conn.do('MULTI');
      await conn.do('SET', 'redaction:exec', 'shown');
      await conn.do('CONFIG', 'GET', 'requirepass');
      await keep(conn.do('EXEC'));
    },
  },
];

describe("EXEC's elements in the log", () => {
  it.each(transactions)('$name', async ({ run, exec }) => {
    await run(observed.conn);
    const leaks = (text: string) => text.includes(PASSWORD) || text.includes(hex(PASSWORD));
    expect(observed.lines.filter(leaks)).toEqual([]);
    expect(observed.lines.find((line) => line.startsWith("redis.do('EXEC')"))).toBe(exec);
    // The caller still gets the whole reply.
    expect(observed.outcomes.at(-1)).not.toBeInstanceOf(Error);
  });
});
