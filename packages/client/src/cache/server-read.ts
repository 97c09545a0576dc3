import { __internal, type Connection } from '@x/conn';
import { type Arg, type Reply, ReplyError } from '@x/resp';
import { holdReply } from './frozen-reply.js';
import type { PendingItem } from './pending-read.js';

const { acceptsRequests, newRequest, submitRequest, traceSourceOf } = __internal;
type Request = __internal.Request;

/** What a ServerRead needs from the cache that sent it. */
export interface ReadOwner {
  /** Whether the read's value may be kept: its connection is still the tracked one. */
  tracks(conn: Connection): boolean;
  /** Keeps an item's value until `expiresAt`. */
  store(item: PendingItem, expiresAt: number): void;
  /** The read is over, settled or failed: its items leave the pending set. */
  finished(read: ServerRead): void;
  /** `conn` failed with the read on board: false lets it fail, true takes it back. */
  retry(read: ServerRead, error: unknown, conn: Connection): boolean;
}

/**
 * ServerRead is one trip to the server for a cache miss, sent as adjacent commands on the
 * tracked connection (nothing of anyone else's can come between them, being written in one
 * synchronous step):
 *
 *   OPTIN:  CLIENT CACHING YES │ GET k (or MGET k1 k2 ...) │ PTTL k (one per key)
 *   BCAST:                     │ GET k                     │ PTTL k
 *
 * CACHING YES makes the server track the key the next command reads; PTTL caps how long the
 * value may be served. Its requests have no time limit or signal of their own, so they are
 * never dropped one without the other: callers give up on their own waits instead.
 */
export class ServerRead {
  readonly items: PendingItem[];
  /** The read command's name and its arguments; null for MGET, built from the items. */
  readonly #command: string;
  readonly #args: readonly Arg[] | null;
  readonly #optin: boolean;
  readonly #owner: ReadOwner;
  readonly #maxArgBytes: number | undefined;
  /** The requests of the current attempt, by slot. */
  #requests: Request[] = [];
  #conn: Connection | null = null;
  #sentAt = 0;
  #cachingRefused = false;
  #reply: Reply = null;
  #error: unknown = undefined;
  readonly #pttls: number[] = [];

  constructor(
    owner: ReadOwner,
    items: PendingItem[],
    command: string,
    args: readonly Arg[] | null,
    options: { optin: boolean; maxArgBytes: number | undefined },
  ) {
    this.#owner = owner;
    this.items = items;
    this.#command = command;
    this.#args = args;
    this.#optin = options.optin;
    this.#maxArgBytes = options.maxArgBytes;
  }

  /** Writes the read on `conn`; false when the connection takes no more commands. */
  sendOn(conn: Connection): boolean {
    // Asked first: a request, once made, is traced, and must then be sent.
    if (!acceptsRequests(conn)) return false;
    const source = traceSourceOf(conn);
    // The read first: it alone can be refused (an argument past maxArgBytes), before any other
    // request is made.
    const read = newRequest(
      this.#command,
      this.#args ?? this.items.map((item) => item.keyArg),
      this.#maxArgBytes,
      source,
    );
    const requests: Request[] = [];
    if (this.#optin) requests.push(newRequest('CLIENT', ['CACHING', 'YES'], undefined, source));
    requests.push(read);
    for (const item of this.items)
      requests.push(newRequest('PTTL', [item.keyArg], undefined, source));
    for (let slot = 0; slot < requests.length; slot++) {
      const request = requests[slot]!;
      request.slot = slot;
      request.sink = this;
    }
    // All or none: the connection either takes every command of this synchronous step or none.
    if (!submitRequest(conn, requests[0]!)) return false;
    for (let slot = 1; slot < requests.length; slot++) submitRequest(conn, requests[slot]!);
    this.#requests = requests;
    this.#conn = conn;
    this.#sentAt = performance.now();
    this.#cachingRefused = false;
    this.#reply = null;
    this.#error = undefined;
    this.#pttls.length = 0;
    return true;
  }

  /** ReplySink: one of this read's replies, in order. */
  reply(request: Request, reply: Reply): void {
    if (this.#requests[request.slot] !== request) return;
    const commandSlot = this.#optin ? 1 : 0;
    if (request.slot < commandSlot) this.#cachingRefused = ReplyError.is(reply);
    else if (request.slot === commandSlot) {
      if (ReplyError.is(reply)) this.#error = reply;
      else this.#reply = reply;
    } else this.#pttls.push(typeof reply === 'number' ? reply : 0);
    if (request.slot !== this.#requests.length - 1) return;
    try {
      this.#settle();
    } catch (error) {
      // A bug here must not reach the decoder (it would fail the shared connection): the read's
      // callers get it, and nothing is kept.
      this.#owner.finished(this);
      for (const item of this.items) item.fail(error);
    }
  }

  /** ReplySink: a read command is never confirmed by pub/sub frames. */
  confirmed(request: Request): void {
    this.reply(request, null);
  }

  /** ReplySink: the connection failed with this read on board. */
  failed(request: Request, error: unknown): void {
    if (this.#requests[request.slot] !== request) return;
    // The rest of this attempt's requests fail too, after this one: ignore them.
    this.#requests = [];
    if (this.#owner.retry(this, error, this.#conn!)) return;
    for (const item of this.items) item.fail(error);
    this.#owner.finished(this);
  }

  #settle(): void {
    this.#requests = [];
    const conn = this.#conn!;
    const values = this.#valuesByItem();
    const keep = !this.#cachingRefused && this.#owner.tracks(conn);
    for (let index = 0; index < this.items.length; index++) {
      const item = this.items[index]!;
      if (values instanceof Error) {
        item.fail(values);
        continue;
      }
      const value = values[index]!;
      item.held = holdReply(value);
      const pttl = this.#pttls[index] ?? 0;
      // PTTL -1: no expiry; -2: no key (its absence is cached, tracked like a value); 0 or an
      // error: about to expire, not kept. Counted from the send, so never later than the server.
      // MGET answers nil for a key of another type, where GET fails with WRONGTYPE: its nil
      // stands for GET only when the key does not exist.
      const wrongType = this.#args === null && value === null && pttl !== -2;
      if (keep && !item.poisoned && pttl !== 0 && !wrongType) {
        const localLimit = item.ttlMs === 0 ? Number.POSITIVE_INFINITY : this.#sentAt + item.ttlMs;
        const serverLimit = pttl > 0 ? this.#sentAt + pttl : Number.POSITIVE_INFINITY;
        this.#owner.store(item, Math.min(localLimit, serverLimit));
      }
    }
    this.#owner.finished(this);
    if (values instanceof Error) return;
    for (const item of this.items) item.succeed(item.held!);
  }

  /** Each item's value, or the error every item fails with. */
  #valuesByItem(): Reply[] | Error {
    if (this.#error !== undefined) return this.#error as Error;
    if (this.#args !== null) return [this.#reply];
    const reply = this.#reply;
    if (!Array.isArray(reply) || reply.length !== this.items.length)
      return new ReplyError(
        `ERR the server answered MGET of ${this.items.length} keys with something else`,
      );
    return reply;
  }
}
