import type { Reply } from '@x/resp';

/**
 * ReadonlyReplyMap is a RESP3 map reply held by the cache: every caller shares it, so it refuses
 * set, delete and clear with a TypeError (as a frozen array refuses changes).
 */
export class ReadonlyReplyMap<K, V> extends Map<K, V> {
  override set(): this {
    throw new TypeError('a cached reply is shared by every caller: copy it to change it');
  }

  override delete(): boolean {
    throw new TypeError('a cached reply is shared by every caller: copy it to change it');
  }

  override clear(): void {
    throw new TypeError('a cached reply is shared by every caller: copy it to change it');
  }
}

/** A ReadonlyReplyMap of `entries` (filled past its own refusing `set`). */
function readonlyReplyMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyReplyMap<K, V> {
  const map = new ReadonlyReplyMap<K, V>();
  for (const [key, value] of entries) Map.prototype.set.call(map, key, value);
  return Object.freeze(map);
}

/** A reply made safe to share, and what serving it costs. */
export interface HeldReply {
  readonly value: Reply;
  /** It holds Buffers, which cannot be frozen: each caller gets copies. */
  readonly holdsBytes: boolean;
  /** Estimated bytes. */
  readonly size: number;
}

const ITEM_BYTES = 16;

/**
 * Freezes a reply for every caller to share: arrays frozen, maps read-only, error values
 * frozen, all the way down. Buffers stay as they are (they cannot be frozen) and are copied for
 * each caller by `served`.
 */
export function holdReply(reply: Reply): HeldReply {
  const state = { holdsBytes: false, size: 0 };
  const value = freeze(reply, state);
  return { value, holdsBytes: state.holdsBytes, size: state.size };
}

function freeze(reply: Reply, state: { holdsBytes: boolean; size: number }): Reply {
  state.size += ITEM_BYTES;
  if (typeof reply === 'string') {
    state.size += reply.length;
    return reply;
  }
  if (typeof reply !== 'object' || reply === null) return reply;
  if (Buffer.isBuffer(reply)) {
    state.holdsBytes = true;
    state.size += reply.length;
    return reply;
  }
  if (Array.isArray(reply)) {
    for (let index = 0; index < reply.length; index++) reply[index] = freeze(reply[index]!, state);
    return Object.freeze(reply) as Reply[];
  }
  if (reply instanceof Map) {
    const entries: [Reply, Reply][] = [];
    for (const [key, value] of reply) entries.push([freeze(key, state), freeze(value, state)]);
    return readonlyReplyMap(entries);
  }
  // An error reply nested in an array, or a Push: frozen like the rest.
  state.size += 64;
  return Object.freeze(reply);
}

/** What one caller receives: the shared value, or, when it holds Buffers, a copy of its own. */
export function served(held: HeldReply): Reply {
  return held.holdsBytes ? copyBytes(held.value) : held.value;
}

function copyBytes(reply: Reply): Reply {
  if (typeof reply !== 'object' || reply === null) return reply;
  if (Buffer.isBuffer(reply)) {
    // Faster than Buffer.from(reply) for small values; every byte is overwritten.
    const copy = Buffer.allocUnsafe(reply.length);
    copy.set(reply);
    return copy;
  }
  if (Array.isArray(reply)) return reply.map(copyBytes);
  if (reply instanceof Map) {
    const copy = new Map<Reply, Reply>();
    for (const [key, value] of reply) copy.set(copyBytes(key), copyBytes(value));
    return copy;
  }
  return reply;
}
