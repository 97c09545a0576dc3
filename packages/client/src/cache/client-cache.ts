import { __internal, type Connection, ConnectionError } from '@x/conn';
import { type Arg, commandToWire, namedCommandToWire, type Push, type Reply } from '@x/resp';
import { notConnectedError, OfflineQueueFullError } from '../errors.js';
import { OfflineQueue } from '../offline-queue.js';
import {
  type CachedCallOptions,
  type CacheSettings,
  readEntryTtl,
  trackingCommand,
} from './cache-options.js';
import { CacheStore } from './cache-store.js';
import {
  argIdentity,
  CommandUse,
  cacheableNames,
  entryName,
  keyIdentity,
  verdictOf,
  WriteEffect,
  wellFormed,
} from './cacheable-commands.js';
import { type Abandonment, ManyCaller, OneCaller } from './callers.js';
import { served } from './frozen-reply.js';
import { PendingItem, PendingItems } from './pending-read.js';
import { type ReadOwner, ServerRead } from './server-read.js';

const { checkCallOptions } = __internal;

/** CacheStats count what the cache did since the client was made. */
export interface CacheStats {
  /** Values served from memory. */
  hits: number;
  /** Values that had to come from the server (a caller joining a read already on its way counts). */
  misses: number;
  /** Trips to the server for misses. */
  reads: number;
  /** Entries dropped for room (maxEntries, maxBytes). */
  evictions: number;
  /** Entries dropped because their time to live ran out. */
  expired: number;
  /** Keys the server said changed (each can drop several entries). */
  invalidations: number;
  /** Times every entry went at once: the server's flush message, or a lost connection. */
  flushes: number;
  /** Entries held now. */
  entries: number;
  /** Estimated bytes held now. */
  bytes: number;
}

/** What the cache needs from its client. */
export interface CacheHost {
  /** Why a read cannot wait for a connection now (closed, handshake refused), or null. */
  waitRefusal(): Error | null;
  /** The last connection error, as the cause of a wait that ran out. */
  lastError(): unknown;
  /** How many of the client's own calls wait for a connection (maxOfflineCommands is shared). */
  waitingCalls(): number;
  /** No read waits for a connection any more (close() may be waiting for that). */
  drained(): void;
  readonly offlineWaitMs: number;
  readonly maxOfflineCommands: number;
  readonly retries: number;
  readonly maxArgBytes: number | undefined;
}

/** Thrown when a dial function gives the cache a connection that does not speak RESP3. */
export class CacheNeedsResp3Error extends TypeError {
  constructor() {
    super(
      'client-side caching needs RESP3 (invalidations arrive as push frames): dial with protocol: 3',
    );
  }
}

/**
 * ClientCache answers reads of hot keys from memory and lets the server say when a key changed:
 * RESP3 tracking on the client's own connection, so invalidations arrive in order with replies.
 *
 *   cache.do('GET', k) ─► entry held? ──yes──► its value (no trip)
 *                              └─no──► a read of k on its way? ──yes──► wait for it
 *                                           └─no──► CACHING YES, GET k, PTTL k ─► keep, answer
 *   server: invalidate [k] ─► drop k's entries; poison reads of k on their way (never kept)
 *   server: invalidate null, the connection lost ─► drop everything
 *   this client sends a write naming k ─► drop k at once (the server's word follows its reply)
 */
export class ClientCache implements ReadOwner, Abandonment {
  readonly #settings: CacheSettings | null;
  readonly #host: CacheHost;
  readonly #store: CacheStore;
  readonly #pending = new PendingItems();
  readonly #waiting: OfflineQueue<ServerRead>;
  readonly #retriesLeft = new WeakMap<ServerRead, number>();
  /** The connection tracking is on for; null between connections. */
  #conn: Connection | null = null;
  /** Why new reads are refused: close() or destroy() ran. */
  #stopped: Error | null = null;
  #hits = 0;
  #misses = 0;
  #reads = 0;
  #invalidations = 0;
  #flushes = 0;

  /** Use the client's `cache`. */
  constructor(settings: CacheSettings | null, host: CacheHost) {
    this.#settings = settings;
    this.#host = host;
    this.#store = new CacheStore(settings?.maxEntries ?? 1, settings?.maxBytes ?? 1);
    this.#waiting = new OfflineQueue(host.offlineWaitMs, (expired) => this.#expired(expired));
  }

  /** Whether the client was made with `cache` options. */
  get enabled(): boolean {
    return this.#settings !== null;
  }

  /**
   * Runs a cacheable read (GET, HGETALL, MGET, ...): from memory when held, else from the
   * server once however many callers ask at the same time.
   */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#read(undefined, command, args);
  }

  /** `do` with a signal, a time limit for this call, and/or a shorter `ttlMs` for its entry. */
  doWith(options: CachedCallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#read(options, command, args);
  }

  /** What the cache did so far, and what it holds. */
  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      reads: this.#reads,
      evictions: this.#store.counts.evictions,
      expired: this.#store.counts.expired,
      invalidations: this.#invalidations,
      flushes: this.#flushes,
      entries: this.#store.entries,
      bytes: this.#store.bytes,
    };
  }

  /** Drops every entry (reads on their way are not kept either). */
  clear(): void {
    this.#store.clear();
    this.#pending.poisonAll();
  }

  #read(
    options: CachedCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    const settings = this.#settings;
    if (settings === null)
      return Promise.reject(
        new TypeError(
          'client-side caching is off: create the client with { protocol: 3, cache: {} }',
        ),
      );
    if (this.#stopped !== null) return Promise.reject(this.#stopped);
    if (typeof command !== 'string')
      return Promise.reject(
        new TypeError(`the command name must be a string, got ${typeof command}`),
      );
    let ttlMs = settings.ttlMs;
    if (options !== undefined) {
      const invalid = checkCallOptions(options);
      if (invalid !== null) return Promise.reject(invalid);
      if (options.signal?.aborted) return Promise.reject(options.signal.reason);
      try {
        // A call may shorten an entry's life, never lengthen it past the cache's ttlMs.
        const callTtlMs = readEntryTtl(options.ttlMs, 'ttlMs', 0);
        if (callTtlMs > 0 && (ttlMs === 0 || callTtlMs < ttlMs)) ttlMs = callTtlMs;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const verdict = verdictOf(command);
    if (verdict.use === CommandUse.SingleKey) {
      const first = args[0];
      // The common case, one key given as text: no conversion at all.
      if (args.length === 1 && typeof first === 'string') {
        const key = wellFormed(first);
        return this.#readOne(options, ttlMs, command, args, key, verdict.name, first);
      }
      let wire: (string | Uint8Array)[];
      try {
        wire = namedCommandToWire(command, args, this.#host.maxArgBytes);
      } catch (error) {
        return Promise.reject(error);
      }
      if (wire.length < 2) return Promise.reject(new TypeError(`${verdict.name} needs a key`));
      const key = keyIdentity(wire[1]!);
      if (key === null) return Promise.reject(notUtf8());
      return this.#readOne(
        options,
        ttlMs,
        command,
        args,
        key,
        entryName(verdict.name, wire, 2),
        wire[1]!,
      );
    }
    if (verdict.use === CommandUse.ManyGets) return this.#readMany(options, ttlMs, command, args);
    return Promise.reject(
      new TypeError(`${verdict.name} cannot be cached; the cache takes ${cacheableNames()}`),
    );
  }

  #readOne(
    options: CachedCallOptions | undefined,
    ttlMs: number,
    command: string,
    args: readonly Arg[],
    key: string,
    name: string,
    keyArg: string | Uint8Array,
  ): Promise<Reply> {
    const outside = this.#outsidePrefixes(key);
    if (outside !== null) return Promise.reject(outside);
    this.#dropIfConnectionFailed();
    const entry = this.#store.get(key, name);
    if (entry !== undefined) {
      this.#hits++;
      return Promise.resolve(served(entry.held));
    }
    this.#misses++;
    const caller = new OneCaller(options, this);
    let item = this.#pending.find(key, name);
    if (item !== undefined) {
      item.wait(caller, 0, ttlMs);
      return caller.promise;
    }
    item = new PendingItem(key, name, keyArg);
    item.wait(caller, 0, ttlMs);
    this.#pending.add(item);
    this.#dispatch(this.#newRead([item], command, args));
    return caller.promise;
  }

  #readMany(
    options: CachedCallOptions | undefined,
    ttlMs: number,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    let keyArgs: readonly (string | Uint8Array)[];
    try {
      keyArgs = args.every((arg) => typeof arg === 'string')
        ? (args as readonly string[])
        : commandToWire(args, this.#host.maxArgBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    if (keyArgs.length === 0) return Promise.reject(new TypeError('MGET needs at least one key'));
    const keys: string[] = [];
    for (const keyArg of keyArgs) {
      const key = keyIdentity(keyArg);
      if (key === null) return Promise.reject(notUtf8());
      const outside = this.#outsidePrefixes(key);
      if (outside !== null) return Promise.reject(outside);
      keys.push(key);
    }
    const caller = new ManyCaller(keys.length, options, this);
    const missing: PendingItem[] = [];
    this.#dropIfConnectionFailed();
    for (let position = 0; position < keys.length; position++) {
      const key = keys[position]!;
      const entry = this.#store.get(key, 'GET');
      if (entry !== undefined) {
        this.#hits++;
        caller.values[position] = served(entry.held);
        continue;
      }
      this.#misses++;
      let item = this.#pending.find(key, MGET_ITEM);
      if (item === undefined) {
        item = new PendingItem(key, 'GET', keyArgs[position]!, MGET_ITEM);
        this.#pending.add(item);
        missing.push(item);
      }
      caller.expect();
      item.wait(caller, position, ttlMs);
    }
    if (missing.length > 0) this.#dispatch(this.#newRead(missing, command, null));
    caller.resolveIfComplete();
    return caller.promise;
  }

  #newRead(items: PendingItem[], command: string, args: readonly Arg[] | null): ServerRead {
    const read = new ServerRead(this, items, command, args, {
      optin: !this.#settings!.bcast,
      maxArgBytes: this.#host.maxArgBytes,
    });
    this.#retriesLeft.set(read, this.#host.retries);
    for (const item of items) item.read = read;
    return read;
  }

  /**
   * Sends a read on the tracked connection, or keeps it until there is one. A read `carried`
   * from a failed connection was issued already: maxOfflineCommands does not turn it away.
   */
  #dispatch(read: ServerRead, carried = false): void {
    const conn = this.#conn;
    try {
      if (conn !== null && read.sendOn(conn)) {
        this.#reads++;
        return;
      }
    } catch (error) {
      // An argument the connection refuses (longer than maxArgBytes): nothing was sent.
      this.#failRead(read, error);
      return;
    }
    const refusal = this.#host.waitRefusal() ?? this.#stopped;
    const limit = this.#host.maxOfflineCommands;
    if (refusal !== null) this.#failRead(read, refusal);
    else if (!carried && this.#waiting.size + this.#host.waitingCalls() >= limit)
      this.#failRead(read, new OfflineQueueFullError(limit, this.#host.lastError()));
    else if (!this.#waiting.add(read)) this.#expired([read]);
  }

  /**
   * The connection may have failed a moment ago, its callers told already (a read time limit, a
   * protocol error) while the client hears of it only when the socket closes: whatever it was
   * tracking is no longer reported, so nothing read on it is served.
   */
  #dropIfConnectionFailed(): void {
    const conn = this.#conn;
    if (conn !== null && conn.err() !== null) this.lost(conn);
  }

  #failRead(read: ServerRead, error: unknown): void {
    this.finished(read);
    for (const item of read.items) item.fail(error);
  }

  #expired(reads: ServerRead[]): void {
    const expired = notConnectedError(this.#host.offlineWaitMs, this.#host.lastError());
    for (const read of reads) this.#failRead(read, expired);
    if (this.#waiting.size === 0) this.#host.drained();
  }

  /** BCAST follows only its prefixes: a key outside them would never be invalidated. */
  #outsidePrefixes(key: string): TypeError | null {
    const settings = this.#settings!;
    if (!settings.bcast || settings.prefixes.length === 0) return null;
    for (const prefix of settings.prefixes) if (key.startsWith(prefix)) return null;
    return new TypeError(
      `the key is outside the cache's BCAST prefixes (${settings.prefixes.join(', ')}): the server would not report its changes`,
    );
  }

  // Abandonment

  gaveUp(items: readonly PendingItem[]): void {
    const reads = new Set<ServerRead>();
    for (const item of items) {
      item.live--;
      if (item.live === 0 && item.read !== null) reads.add(item.read);
    }
    // A read nobody waits for any more leaves the queue, as an abandoned call does; one on its
    // way goes on (its reply fills the cache).
    for (const read of reads) {
      if (PendingItems.wanted(read.items) || !this.#waiting.remove(read)) continue;
      this.finished(read);
      if (this.#waiting.size === 0) this.#host.drained();
    }
  }

  // ReadOwner

  tracks(conn: Connection): boolean {
    return conn === this.#conn && conn.err() === null;
  }

  store(item: PendingItem, expiresAt: number): void {
    this.#store.set(item.key, item.name, item.held!, expiresAt);
  }

  finished(read: ServerRead): void {
    for (const item of read.items) this.#pending.remove(item);
  }

  retry(read: ServerRead, error: unknown, conn: Connection): boolean {
    // The server forgot what it tracked for a failed connection: drop it all now, not when the
    // client hears of the loss.
    if (conn.err() !== null) this.lost(conn);
    if (!ConnectionError.is(error) || this.#stopped !== null) return false;
    const left = this.#retriesLeft.get(read) ?? 0;
    if (left === 0) return false;
    this.#retriesLeft.set(read, left - 1);
    // Nobody waits for it any more: not worth a connection (as an abandoned call is not).
    if (!PendingItems.wanted(read.items)) {
      this.finished(read);
      return true;
    }
    this.#dispatch(read, true);
    return true;
  }

  // What the client tells the cache.

  /** Sets tracking up on a new connection, before anything else is sent on it. */
  async track(conn: Connection, signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (this.#settings === null) return;
    if (conn.protocol !== 3) throw new CacheNeedsResp3Error();
    conn.onPush((push) => this.#onPush(conn, push));
    await conn.doWith({ signal, timeoutMs }, 'CLIENT', ...trackingCommand(this.#settings));
  }

  /** The client adopted `conn` (tracking on): reads waiting for a connection go out on it. */
  connected(conn: Connection): void {
    if (this.#settings === null) return;
    this.#conn = conn;
    const waiting = this.#waiting.takeAll();
    for (const read of waiting) this.#dispatch(read);
    if (waiting.length > 0 && this.#waiting.size === 0) this.#host.drained();
  }

  /** The connection failed or closed: the server forgot what it tracked for it. */
  lost(conn: Connection): void {
    if (conn !== this.#conn) return;
    this.#conn = null;
    this.#flush();
  }

  /**
   * This client is about to send `command`: entries of keys it may change go now, since the
   * server's invalidation comes only after the command's reply (a caller awaiting that reply
   * could read the cache before the invalidation is read). True when the command may change keys
   * it does not name (a script): its caller should wait for a fence, a PING sent right after it,
   * whose reply follows every invalidation the command caused.
   */
  beforeSend(command: string, args: readonly Arg[]): boolean {
    if (!this.holdsAnything) return false;
    const effect = verdictOf(command).effect;
    if (effect === WriteEffect.None) return false;
    if (effect === WriteEffect.All) {
      this.#flush();
      return false;
    }
    const longest = Math.max(this.#store.longestKey, this.#pending.longestKey);
    for (const arg of args) {
      if (Array.isArray(arg)) for (const part of arg) this.#dropArgument(part, longest);
      else this.#dropArgument(arg, longest);
    }
    return effect === WriteEffect.Unknown;
  }

  /** Whether it holds an entry or a read is on its way: what a write elsewhere can make stale. */
  get holdsAnything(): boolean {
    return this.#store.entries > 0 || this.#pending.size > 0;
  }

  /** How many reads wait for a connection. */
  get waitingReads(): number {
    return this.#waiting.size;
  }

  /** close() or destroy() ran: new reads are refused. */
  stop(error: Error): void {
    this.#stopped ??= error;
  }

  /** No connection will come: waiting reads fail, and nothing is kept. */
  finish(error: unknown): void {
    this.#conn = null;
    for (const read of this.#waiting.takeAll()) this.#failRead(read, error);
    this.#store.clear();
    this.#pending.poisonAll();
  }

  /** The server refused the handshake: waiting reads fail now, as waiting calls do. */
  failWaiting(error: unknown): void {
    for (const read of this.#waiting.takeAll()) this.#failRead(read, error);
  }

  #dropArgument(arg: unknown, longest: number): void {
    if (
      typeof arg === 'string'
        ? arg.length > longest
        : arg instanceof Uint8Array && arg.byteLength > longest * 3
    )
      return;
    const key = argIdentity(arg);
    if (key === null) return;
    this.#store.dropKey(key);
    this.#pending.poisonKey(key);
  }

  #onPush(conn: Connection, push: Push): void {
    if (conn !== this.#conn || push.kind !== 'invalidate') return;
    const keys = push.values[1];
    if (!Array.isArray(keys)) {
      // null: the server flushed its keys (FLUSHALL, FLUSHDB). Anything else: trust nothing.
      this.#flush();
      return;
    }
    for (const named of keys) {
      const key =
        typeof named === 'string' ? named : Buffer.isBuffer(named) ? keyIdentity(named) : null;
      if (key === null) {
        this.#flush();
        continue;
      }
      this.#invalidations++;
      this.#store.dropKey(key);
      this.#pending.poisonKey(key);
    }
  }

  #flush(): void {
    this.#flushes++;
    this.#store.clear();
    this.#pending.poisonAll();
  }
}

/** What MGET's items are joined by: apart from GET's, see PendingItem.joinName. */
const MGET_ITEM = 'MGET';

function notUtf8(): TypeError {
  return new TypeError(
    'a key that is not UTF-8 cannot be cached: the server names it lossily in invalidations',
  );
}
