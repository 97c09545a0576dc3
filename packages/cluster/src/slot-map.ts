import type { Reply } from '@x/resp';
import { addressKey, mapAddress, type NatMap, type NodeAddress } from './node-address.js';

export { SLOT_COUNT } from './key-slot.js';

import { SLOT_COUNT } from './key-slot.js';

/** A master and its replicas, serving one or more slot ranges. */
export interface Shard {
  /** `host:port` of the master. */
  readonly master: string;
  /** `host:port` of each replica, in the order the server listed them. */
  readonly replicas: readonly string[];
  /** The slot ranges, `[first, last]` inclusive. */
  readonly ranges: readonly (readonly [number, number])[];
}

/**
 * SlotMap says which shard serves each of the 16,384 slots:
 *
 *   slots: Uint16Array  [ 1 1 1 … 1 | 2 2 … 2 | 0 … | 3 3 … ]   (shard index + 1; 0 = no owner)
 *   shards:             [ {master a, replicas [d]}, {master b, …}, {master c, …} ]
 *
 * One typed-array read per call finds the owner; the map is replaced whole on refresh, never
 * edited in place, except by a MOVED, which re-points one slot (`moveSlot`).
 */
export class SlotMap {
  readonly #slots: Uint16Array;
  readonly #shards: Shard[];
  /** Every address in the map, with every address the NAT map turned it into. */
  readonly addresses: ReadonlyMap<string, NodeAddress>;

  constructor(slots: Uint16Array, shards: Shard[], addresses: Map<string, NodeAddress>) {
    this.#slots = slots;
    this.#shards = shards;
    this.addresses = addresses;
  }

  /** The shard serving `slot`, or undefined when no node serves it. */
  shardOf(slot: number): Shard | undefined {
    const index = this.#slots[slot] as number;
    return index === 0 ? undefined : this.#shards[index - 1];
  }

  /** Every shard, in slot order of their first range. */
  get shards(): readonly Shard[] {
    return this.#shards;
  }

  /** How many slots have no owner. */
  get uncovered(): number {
    let count = 0;
    for (const index of this.#slots) if (index === 0) count++;
    return count;
  }

  /**
   * The map after a MOVED: `slot` now belongs to the master at `address` (a new shard without
   * replicas when the address masters nothing yet). A full refresh follows soon and corrects
   * the rest.
   */
  moveSlot(slot: number, address: NodeAddress): SlotMap {
    const key = addressKey(address);
    const slots = this.#slots.slice();
    const shards = [...this.#shards];
    let index = shards.findIndex((shard) => shard.master === key);
    if (index < 0) {
      shards.push({ master: key, replicas: [], ranges: [[slot, slot]] });
      index = shards.length - 1;
    }
    slots[slot] = index + 1;
    const addresses = new Map(this.addresses);
    addresses.set(key, address);
    // Ranges are read by nodes(): rebuilt so that the slot is listed under its new master only.
    const ranges = rangesBySlots(slots, shards.length);
    const rebuilt = shards.map((shard, at) => ({ ...shard, ranges: ranges[at] ?? [] }));
    return new SlotMap(slots, rebuilt, addresses);
  }

  /** True when both maps give every slot the same master and replicas. */
  sameAs(other: SlotMap): boolean {
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const mine = this.shardOf(slot);
      const theirs = other.shardOf(slot);
      if (mine === theirs) continue;
      if (mine === undefined || theirs === undefined) return false;
      if (mine.master !== theirs.master || mine.replicas.join() !== theirs.replicas.join())
        return false;
    }
    return true;
  }
}

/** Each shard's slot ranges, read off the slot array (shard index + 1 per slot). */
function rangesBySlots(slots: Uint16Array, shardCount: number): [number, number][][] {
  const ranges: [number, number][][] = Array.from({ length: shardCount }, () => []);
  let first = 0;
  for (let slot = 1; slot <= SLOT_COUNT; slot++) {
    if (slot < SLOT_COUNT && slots[slot] === slots[first]) continue;
    const owner = slots[first] as number;
    if (owner !== 0) ranges[owner - 1]?.push([first, slot - 1]);
    first = slot;
  }
  return ranges;
}

/**
 * Reads a CLUSTER SLOTS reply: `[[first, last, [host, port, id, …], replica…], …]`, RESP2 or
 * RESP3 alike. `askedHost` stands in for an empty host (a node that does not know its address).
 * Throws a TypeError naming what is wrong when the reply is not that shape.
 */
export function parseClusterSlots(reply: Reply, askedHost: string, natMap?: NatMap): SlotMap {
  if (!Array.isArray(reply)) throw new TypeError('CLUSTER SLOTS did not reply with an array');
  const slots = new Uint16Array(SLOT_COUNT);
  const shards: Shard[] = [];
  const byMaster = new Map<string, { index: number; ranges: [number, number][] }>();
  const addresses = new Map<string, NodeAddress>();
  const nodeOf = (entry: unknown): string => {
    if (!Array.isArray(entry) || entry.length < 2)
      throw new TypeError('CLUSTER SLOTS: a node entry is not [host, port, …]');
    const [host, port] = entry as unknown[];
    const text = host instanceof Uint8Array ? Buffer.from(host).toString() : host;
    if (typeof text !== 'string' || typeof port !== 'number' || !Number.isInteger(port))
      throw new TypeError('CLUSTER SLOTS: a node entry has no host and port');
    const reported = { host: text === '' || text === '?' ? askedHost : text, port };
    const address = mapAddress(reported, natMap);
    const key = addressKey(address);
    addresses.set(key, address);
    return key;
  };
  for (const range of reply) {
    if (!Array.isArray(range) || range.length < 3)
      throw new TypeError('CLUSTER SLOTS: a range is not [first, last, master, …]');
    const [first, last, masterEntry, ...replicaEntries] = range as unknown[];
    if (
      typeof first !== 'number' ||
      typeof last !== 'number' ||
      !Number.isInteger(first) ||
      !Number.isInteger(last) ||
      first < 0 ||
      last >= SLOT_COUNT ||
      first > last
    )
      throw new TypeError(`CLUSTER SLOTS: bad slot range ${String(first)}-${String(last)}`);
    const master = nodeOf(masterEntry);
    let known = byMaster.get(master);
    if (known === undefined) {
      known = { index: shards.length, ranges: [] };
      byMaster.set(master, known);
      shards.push({ master, replicas: replicaEntries.map(nodeOf), ranges: known.ranges });
    }
    known.ranges.push([first, last]);
    slots.fill(known.index + 1, first, last + 1);
  }
  shards.sort((a, b) => (a.ranges[0]?.[0] ?? 0) - (b.ranges[0]?.[0] ?? 0));
  // Sorting moved the shards: renumber the slots to match.
  shards.forEach((shard, index) => {
    for (const [first, last] of shard.ranges) slots.fill(index + 1, first, last + 1);
  });
  return new SlotMap(slots, shards, addresses);
}
