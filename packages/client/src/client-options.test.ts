import { describe, expect, it } from 'vitest';
import { readClientOptions, reconnectDelayMs, urlDialOptions } from './client-options.js';

describe('reconnectDelayMs', () => {
  const settings = { baseDelayMs: 50, maxDelayMs: 2_000 };
  it.each([
    // failures, random, delay
    [0, 0.99, 0],
    [1, 0, 25],
    [1, 1, 50],
    [2, 0, 50],
    [2, 1, 100],
    [5, 1, 800],
    [6, 0, 800],
    [7, 1, 2_000],
    [40, 0, 1_000],
    [10_000, 1, 2_000],
  ])('after %i failures with random %d waits %i ms', (failures, random, expected) => {
    expect(reconnectDelayMs(failures, settings, () => random)).toBe(expected);
  });
});

describe('readClientOptions', () => {
  it('applies the documented defaults and leaves the rest to dial', () => {
    const settings = readClientOptions({ clientName: 'app', database: 2 });
    expect(settings).toMatchObject({
      baseDelayMs: 50,
      maxDelayMs: 2_000,
      offlineWaitMs: 10_000,
      maxOfflineCommands: 100_000,
      idempotentRetries: 1,
      exclusive: { maxActive: 10, wait: true },
      dialOptions: { clientName: 'app', database: 2 },
    });
  });

  it('takes 0 for fail-fast and no retries', () => {
    const settings = readClientOptions({ maxOfflineCommands: 0, idempotentRetries: 0 });
    expect(settings.maxOfflineCommands).toBe(0);
    expect(settings.idempotentRetries).toBe(0);
  });

  it.each([
    [{ offlineWaitMs: -1 }, RangeError, /offlineWaitMs must be 0 or more/],
    [{ offlineWaitMs: '5' }, TypeError, /offlineWaitMs must be a number/],
    [{ maxOfflineCommands: 1.5 }, RangeError, /maxOfflineCommands must be a whole number/],
    [{ idempotentRetries: -1 }, RangeError, /idempotentRetries/],
    [{ reconnect: { baseDelayMs: 100, maxDelayMs: 10 } }, RangeError, /must not be less/],
    [{ reconnect: { baseDelayMs: 0, maxDelayMs: 0 } }, RangeError, /at least 1/],
    [{ reconnect: { maxDelayMs: 2 ** 31 } }, RangeError, /at most/],
    [{ reconnect: { maxDelayMs: Number.POSITIVE_INFINITY } }, RangeError, /at most/],
  ])('refuses %j', (options, type, message) => {
    expect(() => readClientOptions(options as never)).toThrow(type);
    expect(() => readClientOptions(options as never)).toThrow(message);
  });
});

describe('readClientOptions with a cache', () => {
  it('checks an idle connection, unless told otherwise, so that a silent death ends the cache', () => {
    const dialled = (options: object) => urlDialOptions(readClientOptions(options));
    expect(dialled({ protocol: 3, cache: {} }).keepAlivePingMs).toBe(5_000);
    expect(dialled({ protocol: 3, cache: {}, keepAlivePingMs: 0 }).keepAlivePingMs).toBe(0);
    expect(dialled({ protocol: 3 }).keepAlivePingMs).toBeUndefined();
  });
});
