import type { Arg, Reply } from '@x/resp';
import { openRawClient } from './raw-client.js';

/** A node as the admin helpers address it. */
export interface NodeAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** One node as CLUSTER SLOTS names it. */
export interface SlotHolder {
  readonly id: string;
  readonly port: number;
}

/** One range of CLUSTER SLOTS: its owner and the replicas the node knows for it. */
export interface SlotRange {
  readonly start: number;
  readonly end: number;
  readonly master: SlotHolder;
  readonly replicas: SlotHolder[];
}

/** The number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

/**
 * Sends `commands` pipelined on a fresh connection to `port` and resolves to their replies, error
 * replies as values. Rejects with the socket's error (ECONNREFUSED for a dead node) or when the
 * replies take longer than `timeoutMs` (a stalled node).
 */
export async function ask(port: number, commands: Arg[][], timeoutMs = 2_000): Promise<Reply[]> {
  const opening = openRawClient(port);
  const work = opening.then((client) =>
    Promise.all(commands.map((command) => client.call(...command))),
  );
  // Whichever loses the race below must not become an unhandled rejection.
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`port ${port} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    opening.then(
      (client) => client.close(),
      () => {},
    );
  }
}

/** Like ask(), but rejects with the first error reply, naming the command that got it. */
export async function askOk(
  port: number,
  commands: Arg[][],
  timeoutMs = 2_000 + commands.length,
): Promise<Reply[]> {
  const replies = await ask(port, commands, timeoutMs);
  replies.forEach((reply, index) => {
    if (reply instanceof Error)
      throw new Error(`${(commands[index] ?? []).join(' ')} on port ${port}: ${reply.message}`, {
        cause: reply,
      });
  });
  return replies;
}

/** Reports whether `error` says nothing listens on the port: the node is dead, not slow. */
export function isRefused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
}

/** A bulk or simple string reply as text. */
export function text(reply: Reply | undefined): string {
  if (Buffer.isBuffer(reply)) return reply.toString();
  if (reply instanceof Error) throw reply;
  return String(reply);
}

/** Reads one `field:value` line of an INFO-style reply (INFO, CLUSTER INFO). */
export function infoField(reply: Reply | undefined, field: string): string | undefined {
  const line = text(reply)
    .split('\r\n')
    .find((candidate) => candidate.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}

/** Parses a CLUSTER SLOTS reply, ranges in slot order. */
export function parseSlots(reply: Reply | undefined): SlotRange[] {
  if (!Array.isArray(reply)) throw new Error(`CLUSTER SLOTS replied ${text(reply)}`);
  // Each range: [start, end, master, ...replicas]; each node: [ip, port, id, metadata].
  const holder = (entry: Reply | undefined): SlotHolder => {
    const fields = entry as Reply[];
    return { port: Number(fields[1]), id: text(fields[2]) };
  };
  return reply
    .map((range) => {
      const [start, end, master, ...replicas] = range as Reply[];
      return {
        start: Number(start),
        end: Number(end),
        master: holder(master),
        replicas: replicas.map(holder),
      };
    })
    .sort((left, right) => left.start - right.start);
}

/**
 * A slot map as text that two nodes agree on exactly when they agree on owners and replicas.
 * Addresses are left out: a node may not know its own IP yet, and ids are what matter.
 */
export function slotMapText(ranges: SlotRange[]): string {
  return ranges
    .map((range) => {
      const replicas = range.replicas.map((replica) => replica.id).sort();
      return `${range.start}-${range.end}:${range.master.id}[${replicas.join(',')}]`;
    })
    .join(' ');
}

/** The id of the node that owns `slot` in `ranges`, if any. */
export function ownerOf(ranges: SlotRange[], slot: number): string | undefined {
  return ranges.find((range) => range.start <= slot && slot <= range.end)?.master.id;
}

/** Every slot `id` owns in `ranges`. */
export function slotsOf(ranges: SlotRange[], id: string): number[] {
  const slots: number[] = [];
  for (const range of ranges)
    if (range.master.id === id)
      for (let slot = range.start; slot <= range.end; slot++) slots.push(slot);
  return slots;
}

/** Splits `0..SLOT_COUNT-1` into `parts` contiguous ranges as even as can be: [start, end] each. */
export function evenRanges(parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, index) => [
    Math.floor((index * SLOT_COUNT) / parts),
    Math.floor(((index + 1) * SLOT_COUNT) / parts) - 1,
  ]);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
