import { type Connection, ConnectionError, dial } from '@x/conn';
import { ReplyError } from '@x/resp';
import { captureProcessFaults, useRedisServer } from '@x/test-redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type StatusEvent } from '../../src/index.js';

const redis = useRedisServer({ args: ['--requirepass', 'first-secret'] });
let admin: Connection;

beforeAll(async () => {
  admin = await dial(redis.url, { password: 'first-secret' });
});
afterAll(() => admin?.close());
// A failed test must not leave the next one locked out.
afterEach(() => admin.do('CONFIG', 'SET', 'requirepass', 'first-secret'));

describe.each([2, 3] as const)('a password change on the server, over RESP%i', (protocol) => {
  it('surfaces the server auth error to callers, then recovers when the password works again', async () => {
    const failures = captureProcessFaults();
    const client = createClient(redis.url, {
      protocol,
      password: 'first-secret',
      clientName: `auth-${protocol}`,
      reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
    });
    const events: StatusEvent[] = [];
    client.onStatus((event) => events.push(event));
    await client.do('PING');
    await admin.do('CONFIG', 'SET', 'requirepass', 'second-secret');
    const lost = new Promise((resolve) =>
      client.onStatus((event) => event.status === 'reconnecting' && resolve(event)),
    );
    await admin.do('CLIENT', 'KILL', 'ID', (await client.do('CLIENT', 'ID')) as number);
    // Calls issued in the moment before the client sees the loss may be written to the dying
    // socket (sent: true); these come after.
    await lost;

    // Every call settles, promptly, with the server's own refusal as the cause.
    const started = performance.now();
    const refusals = await Promise.all(
      Array.from({ length: 100 }, () => client.do('PING').catch((error: unknown) => error)),
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    for (const refusal of refusals) {
      expect(ConnectionError.is(refusal)).toBe(true);
      expect(refusal).toMatchObject({ code: 'ERR_HANDSHAKE', sent: false });
      const cause = (refusal as Error).cause;
      expect(ReplyError.is(cause)).toBe(true);
      expect((cause as ReplyError).code).toBe('WRONGPASS');
      // The password is never echoed.
      expect(String((refusal as Error).message)).not.toContain('secret');
    }
    // Status listeners see each failed attempt, with the reason.
    await expect
      .poll(() => events.filter((event) => ReplyError.is(event.error)).length)
      .toBeGreaterThan(1);
    expect(client.status).toBe('reconnecting');

    await admin.do('CONFIG', 'SET', 'requirepass', 'first-secret');
    await expect.poll(() => client.status, { timeout: 2_000 }).toBe('ready');
    expect(await client.do('PING')).toBe('PONG');
    await client.close();
    expect(await failures.stop()).toEqual([]);
  });
});
