import type { Reply } from '@x/resp';

/** The confirmation frames of the subscribe family: `[kind, channel, count]`. */
const confirmationKinds = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);
/** Messages a subscribed RESP2 connection receives unasked. */
const messageKinds = new Set(['message', 'pmessage', 'smessage']);

/** What a subscribe-family request still expects: frames of one kind, and how many. */
export interface Confirming {
  /** The frame kind that confirms it, lower case: `subscribe`, `punsubscribe`, ... or `exec`. */
  readonly kind: string;
  /** Frames still expected; -1 until the request reaches the server (UNSUBSCRIBE with no names). */
  remaining: number;
  /** EXEC only: its array so far, while frames that belong to it still follow. */
  parts?: Reply[] | null;
}

/**
 * The confirmation kind of a frame (`[kind, channel, count]`), lower case, or '' for any other
 * frame. Messages are rejected by their length before any text is made: this runs per push.
 */
export function confirmationKind(values: readonly Reply[]): string {
  if (values.length !== 3) return '';
  const first = values[0];
  const length = typeof first === 'string' || Buffer.isBuffer(first) ? first.length : 0;
  if (length < 9 || length > 12) return '';
  const kind = (
    typeof first === 'string' ? first : (first as Buffer).toString('latin1')
  ).toLowerCase();
  return confirmationKinds.has(kind) ? kind : '';
}

/** True for a RESP2 reply shaped as a pub/sub message: `[message, channel, data]` and kin. */
export function isMessage(reply: Reply): boolean {
  if (!Array.isArray(reply) || (reply.length !== 3 && reply.length !== 4)) return false;
  const first = reply[0];
  if (
    !(typeof first === 'string' || Buffer.isBuffer(first)) ||
    first.length < 7 ||
    first.length > 8
  )
    return false;
  const kind = (typeof first === 'string' ? first : first.toString('latin1')).toLowerCase();
  return messageKinds.has(kind);
}

/**
 * SubscriptionTracker follows what the connection is subscribed to from the server's own
 * confirmations (their count is the total after the change), so that an UNSUBSCRIBE with no
 * names knows how many confirmations it will get: one per channel held, or one when none is.
 */
export class SubscriptionTracker {
  #channels = 0;
  #patterns = 0;
  /** Channels plus patterns: the count `subscribe` and `unsubscribe` frames report. */
  #regular = 0;
  #shards = 0;

  /** Subscriptions of every kind. */
  get total(): number {
    return this.#regular + this.#shards;
  }

  /** Applies one confirmation frame. */
  apply(kind: string, count: Reply): void {
    if (typeof count !== 'number') return;
    const change = count - this.#regular;
    switch (kind) {
      case 'subscribe':
      case 'unsubscribe':
        this.#channels = Math.max(0, this.#channels + change);
        this.#regular = count;
        break;
      case 'psubscribe':
      case 'punsubscribe':
        this.#patterns = Math.max(0, this.#patterns + change);
        this.#regular = count;
        break;
      case 'ssubscribe':
      case 'sunsubscribe':
        this.#shards = count;
        break;
    }
  }

  /** Confirmations an UNSUBSCRIBE of `kind` with no names gets: one per subscription, at least one. */
  expectedForAll(kind: string): number {
    const held =
      kind === 'unsubscribe'
        ? this.#channels
        : kind === 'punsubscribe'
          ? this.#patterns
          : this.#shards;
    return Math.max(1, held);
  }

  /** Applies every confirmation inside an EXEC reply (subscribe commands queued in MULTI). */
  applyNested(reply: Reply, valuesOf: (item: Reply) => readonly Reply[] | null): boolean {
    if (!Array.isArray(reply)) return false;
    let found = false;
    for (const item of reply) {
      const values = valuesOf(item);
      const kind = values === null ? '' : confirmationKind(values);
      if (kind === '' || values === null) continue;
      this.apply(kind, values[2] ?? null);
      found = true;
    }
    return found;
  }
}
