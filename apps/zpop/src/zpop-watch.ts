import type { PooledConn } from '@x/pool';
import { strings } from '@x/reply';
import type { PopResult } from './strategy.js';

/**
 * Pops the lowest-scored member with optimistic locking, the classic ZPOP from the Redis
 * documentation on transactions.
 *
 * WATCH makes the transaction conditional: if any other client changes the key between our
 * WATCH and our EXEC (say, pops the same member first), EXEC does nothing and returns nil. We
 * then simply try again. Without WATCH two workers could read the same lowest member with
 * ZRANGE and both "pop" it, since the read and the ZREM would not be atomic together.
 *
 * WATCH and MULTI belong to a connection, not to a caller: on a connection shared by concurrent
 * workers, one worker's EXEC would run another's queued commands and watch its keys. So `conn`
 * is a connection of one's own (a pooled one, from `client.exclusive()` or `pool.use()`).
 */
export async function zpopWatch(conn: PooledConn, key: string): Promise<PopResult> {
  for (let retries = 0; ; retries++) {
    await conn.do('WATCH', key);
    try {
      const [member] = await strings(conn.do('ZRANGE', key, 0, 0));
      if (member === undefined) {
        await conn.do('UNWATCH');
        return { member: null, retries };
      }
      conn.send('MULTI');
      conn.send('ZREM', key, member);
      // EXEC answers nil when the watched key changed: someone else got there first.
      if ((await conn.do('EXEC')) !== null) return { member, retries };
    } catch (error) {
      // Leave the connection as we found it: no open MULTI, nothing watched.
      await conn
        .do('DISCARD')
        .catch(() => conn.do('UNWATCH'))
        .catch(() => {});
      throw error;
    }
  }
}
