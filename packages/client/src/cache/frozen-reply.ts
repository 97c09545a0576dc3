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
  /** Estimated bytes held. */
  readonly size: number;
}

// Estimates of what V8 holds, measured with Node 20 (heap and array buffers after a full GC):
// a slot in an array or map, a string's header, a Buffer view's object, a map's table per entry.
const SLOT_BYTES = 8;
const STRING_BYTES = 24;
const VIEW_BYTES = 112;
const ARRAY_BYTES = 32;
const MAP_BYTES = 80;
const MAP_ENTRY_BYTES = 40;
const OTHER_BYTES = 64;

/**
 * Freezes a reply for every caller to share: arrays frozen, maps read-only, error values
 * frozen, all the way down. Buffers cannot be frozen: their bytes move into one allocation of
 * the reply's own (a decoded Buffer may be a slice of a shared 8 KiB pool, which a cached one
 * would keep alive whole), and `served` copies them for each caller.
 */
export function holdReply(reply: Reply): HeldReply {
  const bytes = bufferBytes(reply);
  // -1: no Buffer at all; 0: only empty ones (which still need a copy each: a caller may grow
  // nothing, but must not share an object it could mark).
  const state = {
    pack: bytes === -1 ? null : Buffer.allocUnsafeSlow(bytes),
    packed: 0,
    size: Math.max(bytes, 0),
  };
  const value = freeze(reply, state);
  return { value, holdsBytes: bytes !== -1, size: state.size };
}

interface FreezeState {
  readonly pack: Buffer | null;
  packed: number;
  size: number;
}

/** Total length of the Buffers in a reply; -1 when it holds none, even an empty one. */
function bufferBytes(reply: Reply): number {
  if (typeof reply !== 'object' || reply === null) return -1;
  if (Buffer.isBuffer(reply)) return reply.length;
  let total = -1;
  const add = (item: Reply) => {
    const bytes = bufferBytes(item);
    if (bytes !== -1) total = Math.max(total, 0) + bytes;
  };
  if (Array.isArray(reply)) for (const item of reply) add(item);
  else if (reply instanceof Map)
    for (const [key, value] of reply) {
      add(key);
      add(value);
    }
  return total;
}

function freeze(reply: Reply, state: FreezeState): Reply {
  state.size += SLOT_BYTES;
  if (typeof reply === 'string') {
    // Two bytes a character: a string with any character past Latin-1 is stored that way.
    state.size += STRING_BYTES + reply.length * 2;
    return reply;
  }
  if (typeof reply !== 'object' || reply === null) return reply;
  if (Buffer.isBuffer(reply)) {
    const start = state.packed;
    state.pack!.set(reply, start);
    state.packed += reply.length;
    state.size += VIEW_BYTES;
    return state.pack!.subarray(start, state.packed);
  }
  if (Array.isArray(reply)) {
    state.size += ARRAY_BYTES;
    for (let index = 0; index < reply.length; index++) reply[index] = freeze(reply[index]!, state);
    return Object.freeze(reply) as Reply[];
  }
  if (reply instanceof Map) {
    state.size += MAP_BYTES + reply.size * MAP_ENTRY_BYTES;
    const entries: [Reply, Reply][] = [];
    for (const [key, value] of reply) entries.push([freeze(key, state), freeze(value, state)]);
    return readonlyReplyMap(entries);
  }
  // An error reply nested in an array, or a Push: frozen like the rest.
  state.size += OTHER_BYTES;
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
