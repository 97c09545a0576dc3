import type { Conn } from '@x/conn';
import { strings } from '@x/reply';
import type { PopResult } from './strategy.js';

/** The reference: Redis 5 added ZPOPMIN, which does the whole job in one command. */
export async function zpopNative(conn: Pick<Conn, 'do'>, key: string): Promise<PopResult> {
  // ZPOPMIN answers [member, score], or an empty array for an empty set.
  const [member] = await strings(conn.do('ZPOPMIN', key));
  return { member: member ?? null, retries: 0 };
}
