import type { Reply } from '@x/resp';

/** Message is a message published to a channel you subscribed to (sharded: SSUBSCRIBE). */
export class Message {
  readonly type = 'message' as const;
  constructor(
    readonly channel: string,
    /** The payload, binary-safe. */
    readonly data: Buffer,
    /** True for a sharded message (SPUBLISH to an SSUBSCRIBEd channel). */
    readonly sharded = false,
  ) {}

  /** The payload as UTF-8 text. */
  get text(): string {
    return this.data.toString();
  }
}

/** PMessage is a message published to a channel that matched a pattern you subscribed to. */
export class PMessage {
  readonly type = 'pmessage' as const;
  constructor(
    readonly pattern: string,
    readonly channel: string,
    readonly data: Buffer,
  ) {}

  /** The payload as UTF-8 text. */
  get text(): string {
    return this.data.toString();
  }
}

/** The kinds of subscription change the server confirms. */
export type SubscriptionKind =
  | 'subscribe'
  | 'unsubscribe'
  | 'psubscribe'
  | 'punsubscribe'
  | 'ssubscribe'
  | 'sunsubscribe';

/** Subscription confirms a subscribe or unsubscribe; `count` is how many subscriptions remain. */
export class Subscription {
  readonly type = 'subscription' as const;
  constructor(
    readonly kind: SubscriptionKind,
    /** The channel or pattern; null for an unsubscribe with nothing to unsubscribe from. */
    readonly channel: string | null,
    readonly count: number,
  ) {}
}

/** Pong answers `ping()`. */
export class Pong {
  readonly type = 'pong' as const;
  constructor(readonly data: Buffer) {}

  get text(): string {
    return this.data.toString();
  }
}

/** Everything `receive()` can resolve to. */
export type PubSubEvent = Message | PMessage | Subscription | Pong;

const kinds = new Set<string>([
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'ssubscribe',
  'sunsubscribe',
]);

const text = (value: Reply | undefined): string =>
  Buffer.isBuffer(value) ? value.toString() : String(value ?? '');
const bytes = (value: Reply | undefined): Buffer =>
  Buffer.isBuffer(value)
    ? value
    : Buffer.from(value === null || value === undefined ? '' : String(value));

/**
 * Converts a pub/sub reply (a RESP2 array or the values of a RESP3 push) to an event; returns
 * undefined for anything else.
 */
export function toEvent(values: readonly Reply[]): PubSubEvent | undefined {
  const kind = text(values[0]).toLowerCase();
  switch (kind) {
    case 'message':
      return new Message(text(values[1]), bytes(values[2]));
    case 'smessage':
      return new Message(text(values[1]), bytes(values[2]), true);
    case 'pmessage':
      return new PMessage(text(values[1]), text(values[2]), bytes(values[3]));
    case 'pong':
      return new Pong(bytes(values[1]));
    default:
      if (!kinds.has(kind)) return undefined;
      return new Subscription(
        kind as SubscriptionKind,
        values[1] === null ? null : text(values[1]),
        Number(values[2] ?? 0),
      );
  }
}
