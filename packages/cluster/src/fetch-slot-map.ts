import type { Client } from '@x/client';
import type { DialOptions } from '@x/conn';
import { ClusterConnectError } from './errors.js';
import { addressKey, type NatMap, type NodeAddress } from './node-address.js';
import { dialNode } from './node-clients.js';
import { parseClusterSlots, SLOT_COUNT, type SlotMap } from './slot-map.js';

/** How long one node may take to answer CLUSTER SLOTS before the next one is asked. */
const ASK_TIMEOUT_MS = 2_000;

/** Where fetchSlotMap may ask. */
export interface FetchSources {
  readonly map: SlotMap | null;
  readonly seeds: readonly NodeAddress[];
  readonly natMap: NatMap | undefined;
  readonly dialOptions: Omit<DialOptions, 'signal' | 'host' | 'port' | 'path'>;
  /** The master-mode client of a node, if one is up. */
  readonly clientOf: (key: string) => Client | undefined;
}

/**
 * Asks one node after another for CLUSTER SLOTS until one answers with a map that covers some
 * slots: first masters whose clients are connected (no dial), in random order, then every other
 * node of the map and the seeds (a fresh connection each). Rejects with ClusterConnectError
 * naming each node asked and why it did not do.
 */
export async function fetchSlotMap(sources: FetchSources): Promise<SlotMap> {
  const connected: NodeAddress[] = [];
  const others: NodeAddress[] = [];
  const seen = new Set<string>();
  const add = (address: NodeAddress) => {
    const key = addressKey(address);
    if (seen.has(key)) return;
    seen.add(key);
    if (sources.clientOf(key)?.status === 'ready') connected.push(address);
    else others.push(address);
  };
  if (sources.map !== null) {
    for (const shard of shuffled(sources.map.shards))
      add(sources.map.addresses.get(shard.master) as NodeAddress);
    for (const address of sources.map.addresses.values()) add(address);
  }
  for (const seed of sources.seeds) add(seed);
  const failures: string[] = [];
  for (const address of [...connected, ...others]) {
    try {
      const reply = await askNode(address, sources);
      const map = parseClusterSlots(reply, address.host, sources.natMap);
      if (map.uncovered === SLOT_COUNT) {
        failures.push(`${addressKey(address)}: serves no slots (not part of a formed cluster)`);
        continue;
      }
      return map;
    } catch (error) {
      failures.push(
        `${addressKey(address)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  throw new ClusterConnectError(`no node gave the cluster's slot map: ${failures.join('; ')}`);
}

async function askNode(address: NodeAddress, sources: FetchSources) {
  const client = sources.clientOf(addressKey(address));
  if (client?.status === 'ready')
    return client.doWith({ timeoutMs: ASK_TIMEOUT_MS }, 'CLUSTER', 'SLOTS');
  const conn = await dialNode(address, 'master', {
    ...sources.dialOptions,
    connectTimeoutMs: Math.min(
      sources.dialOptions.connectTimeoutMs ?? ASK_TIMEOUT_MS,
      ASK_TIMEOUT_MS,
    ),
  });
  try {
    return await conn.doWith({ timeoutMs: ASK_TIMEOUT_MS }, 'CLUSTER', 'SLOTS');
  } finally {
    conn.destroy();
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}
