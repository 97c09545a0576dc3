import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { dial } from '../../src/index.js';
import { sleep, text, within } from './helpers.js';

// Probes: the keep-alive PING must be invisible to the connection's user.
const redis = useRedisServer();

describe('keepAlivePingMs', () => {
  it('does not take the reply of a send that arrived but was not received yet', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    conn.send('ECHO', 'mine');
    await conn.flush();
    await sleep(400); // the reply arrives; the connection then looks idle to the keep-alive
    const outcome = await within(conn.receive(), 1_000);
    conn.destroy();
    expect(outcome.status === 'resolved' ? text(outcome.value) : outcome).toBe('mine');
  });

  it('does not slip a PING into an open MULTI (EXEC gets exactly the queued commands)', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    const key = `adv:ka:${Math.random()}`;
    expect(await conn.do('MULTI')).toBe('OK');
    expect(await conn.do('INCR', key)).toBe('QUEUED');
    await sleep(400); // the user prepares the rest of the transaction
    expect(await conn.do('INCR', key)).toBe('QUEUED');
    const exec = await conn.do('EXEC');
    conn.destroy();
    expect(exec).toEqual([1, 2]);
  });

  it('does not turn an error reply of an unread send into a lost reply', async () => {
    const conn = await dial(redis.url, { keepAlivePingMs: 100 });
    conn.send('INCR', 'adv:ka:not-a-number-key-holder');
    conn.send('LPUSH', 'adv:ka:not-a-number-key-holder', 'x'); // WRONGTYPE
    await conn.flush();
    await sleep(400);
    const first = await within(conn.receive(), 1_000);
    const second = await within(conn.receive(), 1_000);
    conn.destroy();
    const show = (o: typeof first) =>
      o.status === 'rejected' ? `rejected ${(o.error as { code?: string }).code}` : o.status;
    // Expected: INCR's 1, then LPUSH's WRONGTYPE; both are the owner's.
    expect([show(first), show(second)]).toEqual(['resolved', 'rejected WRONGTYPE']);
  });
});
