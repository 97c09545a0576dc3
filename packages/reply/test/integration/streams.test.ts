import { type Connection, dial } from '@x/conn';
import { useRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  autoClaim,
  autoClaimIds,
  pendingEntries,
  pendingSummary,
  streamEntries,
  streamGroupReads,
  streamReads,
} from '../../src/index.js';

const redis = useRedisServer();

describe.each([2, 3] as const)('stream replies over RESP%i', (protocol) => {
  let conn: Connection;
  const key = (name: string) => `st${protocol}:${name}`;

  beforeAll(async () => {
    conn = await dial(redis.url, { protocol });
    await conn.do('XADD', key('s'), '1-0', 'a', '1', 'a', '2'); // a field name may repeat
    await conn.do('XADD', key('s'), '2-0', 'b', 'héllo');
    await conn.do('XADD', key('other'), '5-0', 'c', '3');
  });
  afterAll(() => conn?.close());

  it('XRANGE and XREVRANGE, repeated field names kept in order', async () => {
    const entries = await streamEntries(conn.do('XRANGE', key('s'), '-', '+'));
    expect(entries).toEqual([
      {
        id: '1-0',
        fields: [
          ['a', '1'],
          ['a', '2'],
        ],
      },
      { id: '2-0', fields: [['b', 'héllo']] },
    ]);
    const reversed = await streamEntries(conn.do('XREVRANGE', key('s'), '+', '-', 'COUNT', 1));
    expect(reversed.map((entry) => entry.id)).toEqual(['2-0']);
    expect(await streamEntries(conn.do('XRANGE', key('missing'), '-', '+'))).toEqual([]);
  });

  it('XREAD of two streams, in the order asked', async () => {
    const reads = await streamReads(
      conn.do('XREAD', 'COUNT', 1, 'STREAMS', key('other'), key('s'), '0', '1-0'),
    );
    expect(reads).toEqual([
      { stream: key('other'), entries: [{ id: '5-0', fields: [['c', '3']] }] },
      { stream: key('s'), entries: [{ id: '2-0', fields: [['b', 'héllo']] }] },
    ]);
  });

  it('XREAD with nothing new: nil, read as no streams', async () => {
    expect(await conn.do('XREAD', 'STREAMS', key('s'), '$')).toBeNull();
    expect(await streamReads(conn.do('XREAD', 'STREAMS', key('s'), '$'))).toEqual([]);
    expect(await streamReads(conn.do('XREAD', 'BLOCK', 20, 'STREAMS', key('s'), '$'))).toEqual([]);
  });

  describe('a consumer group', () => {
    const stream = () => key('jobs');
    beforeAll(async () => {
      await conn.do('XADD', stream(), '1-0', 'job', 'one');
      await conn.do('XADD', stream(), '2-0', 'job', 'two');
      await conn.do('XADD', stream(), '3-0', 'job', 'three');
      await conn.do('XGROUP', 'CREATE', stream(), 'workers', '0');
      await conn.do('XGROUP', 'CREATE', stream(), 'idle', '$');
    });

    it('XREADGROUP, then its history after a delete: the deleted entry has null fields', async () => {
      const read = conn.do('XREADGROUP', 'GROUP', 'workers', 'ada', 'STREAMS', stream(), '>');
      const [delivered] = await streamGroupReads(read);
      expect(delivered?.entries.map((entry) => entry.id)).toEqual(['1-0', '2-0', '3-0']);
      await conn.do('XDEL', stream(), '1-0');
      const history = await streamGroupReads(
        conn.do('XREADGROUP', 'GROUP', 'workers', 'ada', 'STREAMS', stream(), '0'),
      );
      expect(history).toEqual([
        {
          stream: stream(),
          entries: [
            { id: '1-0', fields: null },
            { id: '2-0', fields: [['job', 'two']] },
            { id: '3-0', fields: [['job', 'three']] },
          ],
        },
      ]);
      const none = conn.do('XREADGROUP', 'GROUP', 'workers', 'ada', 'STREAMS', stream(), '>');
      expect(await streamGroupReads(none)).toEqual([]);
    });

    it('XPENDING, summary and extended, and the nil parts of an empty group', async () => {
      expect(await pendingSummary(conn.do('XPENDING', stream(), 'workers'))).toEqual({
        count: 3,
        smallestId: '1-0',
        greatestId: '3-0',
        consumers: [{ name: 'ada', count: 3 }],
      });
      const pending = await pendingEntries(
        conn.do('XPENDING', stream(), 'workers', 'IDLE', 0, '-', '+', 10, 'ada'),
      );
      expect(pending.map(({ id, consumer }) => [id, consumer])).toEqual([
        ['1-0', 'ada'],
        ['2-0', 'ada'],
        ['3-0', 'ada'],
      ]);
      expect(pending[1]?.deliveryCount).toBe(2); // read with '>', then again as history
      expect(pending[1]?.idleMs).toBeGreaterThanOrEqual(0);
      expect(await pendingSummary(conn.do('XPENDING', stream(), 'idle'))).toEqual({
        count: 0,
        smallestId: null,
        greatestId: null,
        consumers: [],
      });
      expect(await pendingEntries(conn.do('XPENDING', stream(), 'idle', '-', '+', 10))).toEqual([]);
    });

    it('XAUTOCLAIM: claimed entries, the deleted IDs, then JUSTID', async () => {
      const claim = await autoClaim(
        conn.do('XAUTOCLAIM', stream(), 'workers', 'bo', 0, '0-0', 'COUNT', 2),
      );
      expect(claim).toEqual({
        next: '3-0',
        claimed: [{ id: '2-0', fields: [['job', 'two']] }],
        deletedIds: ['1-0'],
      });
      const ids = await autoClaimIds(
        conn.do('XAUTOCLAIM', stream(), 'workers', 'cy', 0, '0-0', 'JUSTID'),
      );
      expect(ids).toEqual({ next: '0-0', claimed: ['2-0', '3-0'], deletedIds: [] });
    });
  });
});
