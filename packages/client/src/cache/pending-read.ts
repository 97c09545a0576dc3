import type { Reply } from '@x/resp';
import { type HeldReply, served } from './frozen-reply.js';
import type { ServerRead } from './server-read.js';

/** A caller waiting for one or more keys' values. */
export interface Waiter {
  /** It now waits for `item` (once per position it wants it at). */
  joined(item: PendingItem): void;
  /** `item` settled; `position` is where the waiter wanted it. */
  itemSettled(item: PendingItem, position: number): void;
}

/**
 * PendingItem is one entry on its way from the server: a key and the command read from it,
 * with every caller waiting for it. A read of several keys (MGET) has one item per key.
 */
export class PendingItem {
  readonly key: string;
  /** The entry's name in the cache (an MGET item's is GET's). */
  readonly name: string;
  /**
   * What callers may join it by: an MGET item is only for MGET callers, since MGET and GET
   * differ on a key of another type (nil against WRONGTYPE).
   */
  readonly joinName: string;
  /** The key as the caller sent it, for PTTL. */
  readonly keyArg: string | Uint8Array;
  /**
   * The server said the key changed while this read was on its way: its value may predate the
   * change, so it goes to the callers who asked before, and never into the cache.
   */
  poisoned = false;
  held: HeldReply | null = null;
  error: unknown = undefined;
  settled = false;
  /** Waiters that have not given up. */
  live = 0;
  /** The read that fetches it. */
  read: ServerRead | null = null;
  /** The shortest ttlMs its callers asked for; 0 for none. */
  ttlMs = 0;
  readonly #waiters: Waiter[] = [];
  readonly #positions: number[] = [];

  constructor(key: string, name: string, keyArg: string | Uint8Array, joinName = name) {
    this.key = key;
    this.name = name;
    this.keyArg = keyArg;
    this.joinName = joinName;
  }

  /** `waiter` waits for it and wants it kept at most `ttlMs` (0: no limit). */
  wait(waiter: Waiter, position: number, ttlMs: number): void {
    if (ttlMs > 0 && (this.ttlMs === 0 || ttlMs < this.ttlMs)) this.ttlMs = ttlMs;
    this.#waiters.push(waiter);
    this.#positions.push(position);
    this.live++;
    waiter.joined(this);
  }

  /** What a waiter receives: its own copy where the value holds Buffers. */
  value(): Reply {
    return served(this.held!);
  }

  succeed(held: HeldReply): void {
    this.held = held;
    this.#settle();
  }

  fail(error: unknown): void {
    this.error = error;
    this.#settle();
  }

  #settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (let index = 0; index < this.#waiters.length; index++)
      this.#waiters[index]!.itemSettled(this, this.#positions[index]!);
    this.#waiters.length = 0;
  }
}

/** The items in flight or waiting, by key, for joining and for poisoning. */
export class PendingItems {
  readonly #byKey = new Map<string, PendingItem[]>();
  #longestKey = 0;

  get size(): number {
    return this.#byKey.size;
  }

  /** Longest key among them (0 when none): longer arguments cannot name one. */
  get longestKey(): number {
    return this.#longestKey;
  }

  /** The unpoisoned item a new caller of `key` may join by `joinName`. */
  find(key: string, joinName: string): PendingItem | undefined {
    const items = this.#byKey.get(key);
    if (items === undefined) return undefined;
    for (const item of items) if (item.joinName === joinName) return item;
    return undefined;
  }

  /** Whether any caller still waits for one of `items`. */
  static wanted(items: readonly PendingItem[]): boolean {
    return items.some((item) => item.live > 0);
  }

  add(item: PendingItem): void {
    const items = this.#byKey.get(item.key);
    if (items === undefined) this.#byKey.set(item.key, [item]);
    else items.push(item);
    if (item.key.length > this.#longestKey) this.#longestKey = item.key.length;
  }

  /** Takes an item out (settled, or poisoned). */
  remove(item: PendingItem): void {
    const items = this.#byKey.get(item.key);
    if (items === undefined) return;
    const index = items.indexOf(item);
    if (index === -1) return;
    items.splice(index, 1);
    if (items.length === 0) this.#byKey.delete(item.key);
    if (this.#byKey.size === 0) this.#longestKey = 0;
  }

  /** The key changed: every read of it on its way is poisoned and no longer joinable. */
  poisonKey(key: string): void {
    const items = this.#byKey.get(key);
    if (items === undefined) return;
    for (const item of items) item.poisoned = true;
    this.#byKey.delete(key);
    if (this.#byKey.size === 0) this.#longestKey = 0;
  }

  /** Everything changed (a flush, a lost connection). */
  poisonAll(): void {
    for (const items of this.#byKey.values()) for (const item of items) item.poisoned = true;
    this.#byKey.clear();
    this.#longestKey = 0;
  }
}
