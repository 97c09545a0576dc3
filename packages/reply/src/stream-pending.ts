import type { Reply } from '@x/resp';
import { toValues } from './collections.js';
import { ReplyTypeError } from './errors.js';
import { type Helper, helper } from './helper.js';
import { toInt, toText } from './scalars.js';

/** PendingSummary is the short form of XPENDING: `XPENDING key group`. */
export interface PendingSummary {
  /** Entries delivered to the group's consumers and not yet acknowledged. */
  count: number;
  /** The smallest and greatest pending IDs; null when nothing is pending. */
  smallestId: string | null;
  greatestId: string | null;
  /** Consumers with pending entries, and how many each has. */
  consumers: { name: string; count: number }[];
}

/** PendingEntry is one entry of the extended form: `XPENDING key group [IDLE ms] start end count [consumer]`. */
export interface PendingEntry {
  id: string;
  consumer: string;
  /** Milliseconds since the entry was last delivered. */
  idleMs: number;
  /** How many times it was delivered. */
  deliveryCount: number;
}

const optionalText = (value: Reply, name: string) => (value === null ? null : toText(value, name));

function fixedLength(reply: Reply, length: number, name: string, shape: string): Reply[] {
  const parts = toValues(reply, name);
  if (parts.length !== length) throw new ReplyTypeError(name, shape, reply);
  return parts;
}

/** pendingSummary converts the short form of XPENDING. */
export const pendingSummary: Helper<PendingSummary> = helper((reply) => {
  const name = 'pendingSummary';
  const [count, smallest, greatest, consumers] = fixedLength(
    reply,
    4,
    name,
    '[count, smallest ID, greatest ID, consumers]',
  ) as [Reply, Reply, Reply, Reply];
  return {
    count: toInt(count, name),
    smallestId: optionalText(smallest, name),
    greatestId: optionalText(greatest, name),
    // Nil, not an empty array, when nothing is pending.
    consumers:
      consumers === null
        ? []
        : toValues(consumers, name).map((consumer) => {
            const [consumerName, pending] = fixedLength(consumer, 2, name, '[consumer, count]');
            return { name: toText(consumerName!, name), count: toInt(pending!, name) };
          }),
  };
});

/** pendingEntries converts the extended form of XPENDING. */
export const pendingEntries: Helper<PendingEntry[]> = helper((reply) =>
  toValues(reply, 'pendingEntries').map((entry): PendingEntry => {
    const [id, consumer, idle, deliveries] = fixedLength(
      entry,
      4,
      'pendingEntries',
      '[id, consumer, idle ms, delivery count]',
    ) as [Reply, Reply, Reply, Reply];
    return {
      id: toText(id, 'pendingEntries'),
      consumer: toText(consumer, 'pendingEntries'),
      idleMs: toInt(idle, 'pendingEntries'),
      deliveryCount: toInt(deliveries, 'pendingEntries'),
    };
  }),
);
