import type { Reply } from '@x/resp';

/** The port of the server behind `conn`, from CONFIG GET (an array over RESP2, a map over RESP3). */
export async function portOf(conn: { do(command: string, ...args: string[]): Promise<Reply> }) {
  const reply = await conn.do('CONFIG', 'GET', 'port');
  const value = reply instanceof Map ? [...reply.values()][0] : (reply as Reply[])[1];
  return Number(String(value));
}
