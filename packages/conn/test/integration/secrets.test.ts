import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ReplyError } from '@x/resp';
import { type FakeServer, startFakeServer } from '@x/test-redis';
import { afterEach, describe, expect, it } from 'vitest';
import { dial } from '../../src/index.js';

// A password never appears in an error, a log line or a diagnostics event.
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const password = 's3cret-Pa55';

describe('secrets', () => {
  it('a server without HELLO never gets the password into the error or the trace', async () => {
    // What Redis 5 answers, echoing the arguments.
    fake = await startFakeServer({
      onCommand: (command) =>
        new ReplyError(
          `ERR unknown command \`${command[0]}\`, with args beginning with: ${command
            .slice(1)
            .map((arg) => `\`${arg}\``)
            .join(', ')},`,
        ),
    });
    const events: unknown[] = [];
    const listener = (message: unknown) => events.push(message);
    subscribe('@x/conn:command:end', listener);
    try {
      const failure = await dial(fake.url, { protocol: 3, password }).catch((error) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(String(failure.message)).not.toContain(password);
      expect(failure.message).toMatch(/HELLO/);
      const seen = JSON.stringify(
        events.map((event) => String((event as { error?: Error }).error)),
      );
      expect(events.length).toBeGreaterThan(0);
      expect(seen).not.toContain(password);
    } finally {
      unsubscribe('@x/conn:command:end', listener);
    }
  });

  it('never echoes user:password@host:port given without a scheme', async () => {
    const failure = await dial(`default:${password}@127.0.0.1:1`).catch((error) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(String(failure.message)).not.toContain(password);
  });

  it.each(['rediss', 'valkeys'])(
    'refuses %s:// with tls: false instead of sending the password in plain text',
    async (scheme) => {
      fake = await startFakeServer();
      const url = `${scheme}://default:${password}@127.0.0.1:${fake.port}`;
      const failure = await dial(url, { tls: false }).catch((error) => error);
      expect(failure).toBeInstanceOf(TypeError);
      expect(String(failure.message)).not.toContain(password);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fake.connections).toHaveLength(0);
    },
  );
});
