import { captureProcessFaults, type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, dial } from '../../src/index.js';
import { sleep, within } from './helpers.js';

// Probes: dial under a hostile or stalled server, and cancelled dials. (All of these held.)
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('dial', () => {
  it('aborting during the handshake rejects with the reason at once and closes the socket', async () => {
    fake = await startFakeServer({ onCommand: () => undefined }); // never answers AUTH
    const faults = captureProcessFaults();
    const controller = new AbortController();
    const dialing = dial(fake.url, { password: 'pw', signal: controller.signal });
    await sleep(50);
    const reason = new Error('cancelled');
    controller.abort(reason);
    const outcome = await within(dialing, 500);
    await sleep(50);
    expect(outcome.status === 'rejected' && outcome.error).toBe(reason);
    expect(fake.connections[0]?.socket.destroyed).toBe(true);
    expect(await faults.stop()).toEqual([]);
  });

  it('a handshake that never answers settles by readTimeoutMs or connectTimeoutMs', async () => {
    fake = await startFakeServer({ onCommand: () => undefined });
    const outcome = await within(
      dial(fake.url, { password: 'pw', connectTimeoutMs: 300, readTimeoutMs: 10_000 }),
      2_000,
    );
    expect(outcome.status).toBe('rejected');
    expect(outcome.ms).toBeLessThan(1_000);
  });

  it.each(['rediss', 'valkeys'])(
    '%s:// against a plain-text server never sends the password in plain text',
    async (scheme) => {
      fake = await startFakeServer();
      const outcome = await within(
        dial(`${scheme}://:secret-pw@127.0.0.1:${fake.port}`, {
          tls: { rejectUnauthorized: false },
          connectTimeoutMs: 1_000,
        }),
        3_000,
      );
      expect(outcome.status).toBe('rejected');
      // The TLS ClientHello may decode as garbage inline commands; none may carry the password.
      const seen = fake.connections.flatMap((connection) => connection.commands).flat();
      expect(seen.join(' ')).not.toContain('secret-pw');
      expect(String((outcome as { error?: Error }).error?.message)).not.toContain('secret-pw');
    },
  );

  it('a server that hangs up during the handshake rejects dial with ConnectionError, no password in it', async () => {
    fake = await startFakeServer({
      onCommand: (_command, connection) => {
        connection.hangUp();
        return undefined;
      },
    });
    const failure = await dial(fake.url, { password: 'pw' }).catch((error: unknown) => error);
    expect(ConnectionError.is(failure)).toBe(true);
    expect(String((failure as Error).message)).not.toContain('pw');
  });
});
