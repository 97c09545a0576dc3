import { randomBytes } from 'node:crypto';
import type { Conn } from '@x/conn';
import type { ConnectionState } from './connection-state.js';

/** How long each step of the clean-up may take before the connection is closed instead. */
const CLEANUP_TIMEOUT_MS = 5_000;

/**
 * Undoes what the borrower left behind, as Redigo's activeConn.Close does: DISCARD an open
 * MULTI, UNWATCH watched keys, unsubscribe from everything and read replies up to a random marker,
 * and read every pending reply. Returns false when the connection should be closed instead.
 */
export async function restoreCleanState(conn: Conn, state: ConnectionState): Promise<boolean> {
  try {
    if (state.inMulti) conn.send('DISCARD');
    else if (state.watching) conn.send('UNWATCH');
    if (!state.subscribed) {
      await conn.doWith({ timeoutMs: CLEANUP_TIMEOUT_MS }, '');
      return true;
    }
    conn.send('UNSUBSCRIBE');
    conn.send('PUNSUBSCRIBE');
    conn.send('SUNSUBSCRIBE');
    // A fresh random marker per drain, as Redigo's: no reply the borrower left can equal it. Hex
    // text, so that it reads back the same with bulk strings decoded as strings.
    const marker = randomBytes(20).toString('hex');
    conn.send('ECHO', marker);
    await conn.flush();
    // Unsubscribe confirmations outnumber the commands sent; read until the sentinel comes back.
    for (;;) {
      const reply = await conn
        .receiveWith({ timeoutMs: CLEANUP_TIMEOUT_MS })
        .catch(() => undefined);
      if (reply === undefined) return false;
      if ((Buffer.isBuffer(reply) || typeof reply === 'string') && reply.toString() === marker)
        return true;
    }
  } catch {
    return false;
  }
}
