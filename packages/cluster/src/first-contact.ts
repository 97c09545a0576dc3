import type { Reply } from '@x/resp';
import type { ClusterSettings } from './cluster-options.js';
import { CommandTable } from './command-table.js';
import { ClusterConnectError } from './errors.js';
import { fetchSlotMap } from './fetch-slot-map.js';
import { addressKey } from './node-address.js';
import { dialNode } from './node-clients.js';
import type { SlotMap } from './slot-map.js';

/** How long a master may take to send its command table (about 200 KB) before the next is asked. */
const COMMAND_TIMEOUT_MS = 5_000;

/**
 * What the cluster client needs before its first call: the slot map (from the first seed that
 * gives one) and the command table (key positions and routing tips from the server's own
 * COMMAND reply, so that new and module commands route without a hand-kept list).
 */
export async function firstContact(
  settings: ClusterSettings,
): Promise<{ map: SlotMap; table: CommandTable }> {
  const map = await fetchSlotMap({
    map: null,
    seeds: settings.seeds,
    natMap: settings.natMap,
    dialOptions: settings.dialOptions,
    clientOf: () => undefined,
  });
  const failures: string[] = [];
  for (const shard of map.shards) {
    const address = map.addresses.get(shard.master);
    if (address === undefined) continue;
    try {
      const conn = await dialNode(address, 'master', settings.dialOptions);
      let reply: Reply;
      try {
        // Bounded even with readTimeoutMs 0: connect() must settle when a node stays silent.
        reply = await conn.doWith({ timeoutMs: COMMAND_TIMEOUT_MS }, 'COMMAND');
      } finally {
        conn.destroy();
      }
      return { map, table: CommandTable.fromReply(reply) };
    } catch (error) {
      failures.push(
        `${addressKey(address)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  throw new ClusterConnectError(`no master answered COMMAND: ${failures.join('; ')}`);
}
