import { ConnectionError } from '@x/conn';
import type { Reply } from '@x/resp';
import { expect } from 'vitest';
import type { Client } from '../../src/index.js';

/** How one call ended. */
export interface CallOutcome {
  status: 'fulfilled' | 'rejected';
  value?: Reply;
  error?: unknown;
  /** For a ConnectionError: whether the command was written. */
  sent?: boolean | undefined;
  code?: string | undefined;
}

/** Waits for a call and describes how it ended, without ever rejecting. */
export function settle(promise: Promise<Reply>): Promise<CallOutcome> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (error: unknown) => ({
      status: 'rejected',
      error,
      sent: ConnectionError.is(error) ? error.sent : undefined,
      code: (error as { code?: string }).code,
    }),
  );
}

/**
 * Checks at-most-once delivery for calls that each ran `INCR <prefix><index>` on a key of their
 * own: an acknowledged call was applied exactly once, a call never sent was not applied, one
 * written before the connection failed was applied once or not at all, and no key reads above 1.
 */
export async function checkAtMostOnce(
  client: Client,
  prefix: string,
  outcomes: CallOutcome[],
): Promise<void> {
  const stored: (number | null)[] = [];
  for (let start = 0; start < outcomes.length; start += 1_000) {
    const keys = Array.from(
      { length: Math.min(1_000, outcomes.length - start) },
      (_, offset) => `${prefix}${start + offset}`,
    );
    const values = (await client.do('MGET', ...keys)) as (Uint8Array | null)[];
    for (const value of values) stored.push(value === null ? null : Number(Buffer.from(value)));
  }
  const wrong: string[] = [];
  outcomes.forEach((outcome, index) => {
    const value = stored[index];
    if (value !== null && value !== 1) wrong.push(`${index}: applied ${value} times`);
    if (outcome.status === 'fulfilled') {
      if (outcome.value !== 1 || value !== 1)
        wrong.push(`${index}: acknowledged ${String(outcome.value)} but stored ${value}`);
    } else if (!ConnectionError.is(outcome.error)) {
      wrong.push(`${index}: rejected with ${String(outcome.error)}`);
    } else if (!outcome.sent && value !== null) {
      wrong.push(`${index}: never sent, yet applied`);
    }
  });
  expect(wrong.slice(0, 10)).toEqual([]);
}
