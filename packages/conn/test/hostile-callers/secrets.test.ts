import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { dial, newLoggingConn } from '../../src/index.js';

// Probes: "A password never appears in an error message, a log line or a diagnostics event."
const PASSWORD = 'Sup3r-S3cret-Pw';
const redis = useRedisServer({ args: ['--requirepass', PASSWORD] });

const capture = () => {
  const events: unknown[] = [];
  const record = (message: unknown) => events.push(message);
  subscribe('@x/conn:command:start', record);
  subscribe('@x/conn:command:end', record);
  return {
    events,
    stop: () => {
      unsubscribe('@x/conn:command:start', record);
      unsubscribe('@x/conn:command:end', record);
    },
  };
};
// Buffers are decoded first: inspect() prints them as hex, which hides nothing.
const decoded = (value: unknown): unknown =>
  Buffer.isBuffer(value)
    ? value.toString()
    : Array.isArray(value)
      ? value.map(decoded)
      : value !== null && typeof value === 'object' && !(value instanceof Error)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v)]))
        : value;
const shows = (value: unknown) => inspect(decoded(value), { depth: 10 }).includes(PASSWORD);
const hex = Buffer.from(PASSWORD).toString('hex').replace(/(..)/g, '$1 ').trim();

describe('the connection password in traces and logs', () => {
  it('CONFIG GET requirepass: the diagnostics end event does not carry the password', async () => {
    const conn = await dial(redis.url, { password: PASSWORD });
    const trace = capture();
    try {
      await conn.do('CONFIG', 'GET', 'requirepass');
    } finally {
      trace.stop();
      await conn.close();
    }
    expect(trace.events.some(shows)).toBe(false);
  });

  it('CONFIG GET requirepass: the logging connection does not log the password', async () => {
    const conn = await dial(redis.url, { password: PASSWORD });
    const lines: string[] = [];
    const logged = newLoggingConn(conn, (line) => lines.push(line), 'cache');
    const reply = await logged.do('CONFIG', 'GET', 'requirepass');
    await conn.close();
    expect(String((reply as Buffer[])[1])).toBe(PASSWORD); // the server does return it
    // Logged as a Buffer: the bytes of the password in hex, trivially decoded.
    expect(lines.filter((line) => line.includes(PASSWORD) || line.includes(hex))).toEqual([]);
  });
});

describe('a password argument echoed by a server error', () => {
  it('ACL SETUSER with a malformed password rule: the log line does not show it', async () => {
    const conn = await dial(redis.url, { password: PASSWORD });
    const lines: string[] = [];
    const logged = newLoggingConn(conn, (line) => lines.push(line), 'cache');
    // Forgot the '>' before the password: the server says "Error in ACL SETUSER modifier '<pw>'".
    const failure = await logged.do('ACL', 'SETUSER', 'bob', 'on', PASSWORD).catch((e) => e);
    await conn.close();
    expect(String(failure)).toMatch(/ACL SETUSER/);
    expect(lines.filter((line) => line.includes(PASSWORD))).toEqual([]);
  });

  it('the same error in the diagnostics end event is redacted (control: this one holds)', async () => {
    const conn = await dial(redis.url, { password: PASSWORD });
    const trace = capture();
    try {
      await conn.do('ACL', 'SETUSER', 'bob', 'on', PASSWORD).catch(() => {});
    } finally {
      trace.stop();
      await conn.close();
    }
    expect(trace.events.some(shows)).toBe(false);
  });

  it('the ReplyError the caller gets does not repeat the password', async () => {
    const conn = await dial(redis.url, { password: PASSWORD });
    const failure = await conn.do('ACL', 'SETUSER', 'bob', 'on', PASSWORD).catch((e) => e);
    await conn.close();
    expect(String((failure as Error).message)).not.toContain(PASSWORD);
  });
});

describe('dial with the password (what holds)', () => {
  it('a wrong password never appears in the dial error, the trace or inspect(conn)', async () => {
    const trace = capture();
    let failure: unknown;
    try {
      failure = await dial(redis.url, { password: `${PASSWORD}-wrong` }).catch((e) => e);
    } finally {
      trace.stop();
    }
    expect(shows(failure)).toBe(false);
    expect(trace.events.some((event) => inspect(event, { depth: 10 }).includes('-wrong'))).toBe(
      false,
    );
    const conn = await dial(redis.url, { password: PASSWORD, protocol: 3 });
    expect(shows(conn)).toBe(false);
    await conn.close();
  });
});
