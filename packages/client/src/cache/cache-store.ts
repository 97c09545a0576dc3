import type { HeldReply } from './frozen-reply.js';

/** One cached reply. */
export interface Entry {
  readonly key: string;
  readonly name: string;
  readonly held: HeldReply;
  readonly size: number;
  /** performance.now() past which it is not served; Infinity for no limit. */
  readonly expiresAt: number;
  /** Served since the clock hand last passed: spared once by eviction. */
  used: boolean;
}

/** What the store has counted. */
export interface StoreCounts {
  evictions: number;
  expired: number;
}

// Per entry on top of its key, name and value: the entry object and its places in two maps.
const ENTRY_BYTES = 160;

/**
 * CacheStore holds entries by key, then by command, and evicts by the CLOCK rule (an
 * approximation of least recently used that costs a hit one boolean write, no reordering).
 *
 *   byKey:  "user:1" ─► { "GET" ─► e1 }             an invalidation of "user:1" drops all of
 *           "h:7"    ─► { "HGET 1:a" ─► e2,          its entries at once
 *                         "HGETALL"  ─► e3 }
 *   clock:  e1 ─► e2 ─► e3 ─► ...   (insertion order; the hand is the front)
 *           front used? clear the mark, move it to the back; not used? evict it
 */
export class CacheStore {
  readonly #byKey = new Map<string, Map<string, Entry>>();
  readonly #clock = new Set<Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;
  /** The longest key held: longer arguments cannot name one, so writes skip them unhashed. */
  #longestKey = 0;
  readonly counts: StoreCounts = { evictions: 0, expired: 0 };

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get entries(): number {
    return this.#clock.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get longestKey(): number {
    return this.#longestKey;
  }

  /** The entry for `key` and `name` that may still be served now, marked used. */
  get(key: string, name: string): Entry | undefined {
    const entry = this.#byKey.get(key)?.get(name);
    if (entry === undefined) return undefined;
    // Only an entry with a time limit reads the clock, which can cost more than the rest of a hit.
    if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= performance.now()) {
      this.#remove(entry);
      this.counts.expired++;
      return undefined;
    }
    entry.used = true;
    return entry;
  }

  /** Keeps a reply, replacing any entry of the same name; false when it is too large to keep. */
  set(key: string, name: string, held: HeldReply, expiresAt: number): boolean {
    const size = ENTRY_BYTES + key.length + name.length + held.size;
    if (size > this.#maxBytes) return false;
    const old = this.#byKey.get(key)?.get(name);
    if (old !== undefined) this.#remove(old);
    let named = this.#byKey.get(key);
    if (named === undefined) {
      named = new Map();
      this.#byKey.set(key, named);
    }
    const entry: Entry = { key, name, held, size, expiresAt, used: false };
    named.set(name, entry);
    this.#clock.add(entry);
    this.#bytes += size;
    if (key.length > this.#longestKey) this.#longestKey = key.length;
    this.#evictPastLimits();
    return true;
  }

  /** Whether any entry was read from `key`. */
  holds(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** Drops every entry read from `key`; how many there were. */
  dropKey(key: string): number {
    const named = this.#byKey.get(key);
    if (named === undefined) return 0;
    const count = named.size;
    for (const entry of named.values()) this.#remove(entry);
    return count;
  }

  /** Drops every entry; how many there were. */
  clear(): number {
    const count = this.#clock.size;
    this.#byKey.clear();
    this.#clock.clear();
    this.#bytes = 0;
    this.#longestKey = 0;
    return count;
  }

  #remove(entry: Entry): void {
    if (!this.#clock.delete(entry)) return;
    this.#bytes -= entry.size;
    const named = this.#byKey.get(entry.key);
    named?.delete(entry.name);
    if (named?.size === 0) this.#byKey.delete(entry.key);
  }

  #evictPastLimits(): void {
    while (this.#clock.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const front = this.#clock.values().next().value as Entry;
      if (front.used) {
        front.used = false;
        this.#clock.delete(front);
        this.#clock.add(front);
        continue;
      }
      this.#remove(front);
      this.counts.evictions++;
    }
  }
}
