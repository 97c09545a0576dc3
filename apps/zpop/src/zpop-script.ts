import type { Conn } from '@x/conn';
import { Script } from '@x/scripting';
import type { PopResult } from './strategy.js';

/**
 * The same pop as one Lua script: the server runs a script atomically, so no WATCH and no retry.
 *
 * Careful with the empty set: ZRANGE then returns an empty table, never nil, so the well-known
 * version that tests `if r ~= nil` is always true and calls ZREM with a nil member. Test the
 * table's length instead, and return false, which reaches the client as nil.
 */
export const zpopScript = new Script(
  1,
  `local members = redis.call('ZRANGE', KEYS[1], 0, 0)
if #members == 0 then
  return false
end
redis.call('ZREM', KEYS[1], members[1])
return members[1]`,
  { convert: (reply) => (reply === null ? null : String(reply)) },
);

/** Pops the lowest-scored member with the Lua script (EVALSHA, EVAL the first time). */
export async function zpopLua(conn: Pick<Conn, 'do'>, key: string): Promise<PopResult> {
  return { member: await zpopScript.do(conn, key), retries: 0 };
}
