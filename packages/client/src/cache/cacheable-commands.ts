import { isUtf8 } from 'node:buffer';
import { argToWire } from '@x/resp';

/**
 * Read-only commands whose reply depends on one key alone, the first argument, and on nothing
 * else that changes (no clock, no randomness): what the cache may keep. The server's invalidation
 * of that key drops every entry read from it. MGET is split into one GET entry per key.
 */
const singleKeyReads = new Set([
  'GET',
  'GETRANGE',
  'SUBSTR',
  'STRLEN',
  'GETBIT',
  'BITCOUNT',
  'BITPOS',
  'BITFIELD_RO',
  'HGET',
  'HMGET',
  'HGETALL',
  'HKEYS',
  'HVALS',
  'HLEN',
  'HEXISTS',
  'HSTRLEN',
  'LRANGE',
  'LINDEX',
  'LLEN',
  'LPOS',
  'SMEMBERS',
  'SISMEMBER',
  'SMISMEMBER',
  'SCARD',
  'ZRANGE',
  'ZRANGEBYSCORE',
  'ZRANGEBYLEX',
  'ZREVRANGE',
  'ZREVRANGEBYSCORE',
  'ZREVRANGEBYLEX',
  'ZSCORE',
  'ZMSCORE',
  'ZCARD',
  'ZCOUNT',
  'ZLEXCOUNT',
  'ZRANK',
  'ZREVRANK',
  'TYPE',
  'XRANGE',
  'XREVRANGE',
  'XLEN',
  'GEOPOS',
  'GEODIST',
  'GEOHASH',
  'GEOSEARCH',
]);

/** Commands the client sends that cannot change a key: they leave cache entries alone. */
const otherReads = new Set([
  'PING',
  'ECHO',
  'EXISTS',
  'TTL',
  'PTTL',
  'EXPIRETIME',
  'PEXPIRETIME',
  'MGET',
  'SCAN',
  'SSCAN',
  'HSCAN',
  'ZSCAN',
  'DBSIZE',
  'INFO',
  'TIME',
  'SRANDMEMBER',
  'HRANDFIELD',
  'ZRANDMEMBER',
  'RANDOMKEY',
  'KEYS',
  'PUBLISH',
  'SPUBLISH',
]);

/** Commands that empty or replace databases (DEBUG RELOAD, ...): every entry goes. */
const flushes = new Set(['FLUSHALL', 'FLUSHDB', 'SWAPDB', 'DEBUG']);

/** Scripts and functions: they may write keys they were not given, or flush. */
const scripts = new Set(['EVAL', 'EVALSHA', 'FCALL']);

/** What the cache does with a command, by its name. */
export const CommandUse = {
  /** One key, cacheable. */
  SingleKey: 0,
  /** MGET: cached per key as GET. */
  ManyGets: 1,
  /** Not cacheable. */
  Refused: 2,
} as const;
export type CommandUse = (typeof CommandUse)[keyof typeof CommandUse];

/** What a command the client sends means for entries it holds. */
export const WriteEffect = {
  /** Leaves every entry alone. */
  None: 0,
  /** May change the keys among its arguments. */
  Arguments: 1,
  /** Empties databases. */
  All: 2,
  /** May change the keys among its arguments, and others: its caller waits for a fence. */
  Unknown: 3,
} as const;
export type WriteEffect = (typeof WriteEffect)[keyof typeof WriteEffect];

interface Verdict {
  readonly name: string;
  readonly use: CommandUse;
  readonly effect: WriteEffect;
}

// Per spelling as the caller wrote it, so that the hot path upper-cases a name once. Bounded so
// that generated names cannot grow it.
const verdicts = new Map<string, Verdict>();
const VERDICTS_LIMIT = 2048;

/** How the cache treats `command` (any case). */
export function verdictOf(command: string): Verdict {
  let verdict = verdicts.get(command);
  if (verdict !== undefined) return verdict;
  const name = command.toUpperCase();
  verdict = {
    name,
    use:
      name === 'MGET'
        ? CommandUse.ManyGets
        : singleKeyReads.has(name)
          ? CommandUse.SingleKey
          : CommandUse.Refused,
    effect: flushes.has(name)
      ? WriteEffect.All
      : scripts.has(name)
        ? WriteEffect.Unknown
        : singleKeyReads.has(name) || otherReads.has(name)
          ? WriteEffect.None
          : WriteEffect.Arguments,
  };
  if (verdicts.size < VERDICTS_LIMIT) verdicts.set(command, verdict);
  return verdict;
}

/** The names the cache takes, for error messages. */
export function cacheableNames(): string {
  return ['MGET', ...singleKeyReads].join(', ');
}

// String#isWellFormed and #toWellFormed (Node 20+) are newer than this project's ES2022 types.
interface WellFormedText {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `text` as the wire carries it: each lone surrogate becomes U+FFFD, as UTF-8 encoding does. */
export function wellFormed(text: string): string {
  const checked = text as unknown as WellFormedText;
  return checked.isWellFormed() ? text : checked.toWellFormed();
}

/**
 * The key's identity in the cache: the text the server's invalidation names it by. A string is
 * sent as UTF-8, so lone surrogates become U+FFFD as they do on the wire; bytes are read as UTF-8.
 * null for bytes that are not UTF-8: the server would report them under a lossy name.
 */
export function keyIdentity(key: string | Uint8Array): string | null {
  if (typeof key === 'string') return wellFormed(key);
  if (!isUtf8(key)) return null;
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
}

/** Like keyIdentity, for any argument the encoder takes (numbers name keys too). */
export function argIdentity(arg: unknown): string | null {
  if (typeof arg === 'string') return wellFormed(arg);
  try {
    return keyIdentity(argToWire(arg));
  } catch {
    return null;
  }
}

/**
 * The entry's name within its key: the command and its arguments after the key, each with its
 * length so that no two argument lists read alike (`HMGET k a b` and `HMGET k "a b"`). Bytes
 * are marked with a lone surrogate, which no string argument has once made well-formed.
 */
export function entryName(
  name: string,
  wire: readonly (string | Uint8Array)[],
  from: number,
): string {
  let signature = name;
  for (let index = from; index < wire.length; index++) {
    const part = wire[index]!;
    const text =
      typeof part === 'string'
        ? wellFormed(part)
        : `\uD800${Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1')}`;
    signature += ` ${text.length}:${text}`;
  }
  return signature;
}
