import type { Reply } from '@x/resp';
import { toPairs, toValues } from './collections.js';
import { ReplyTypeError } from './errors.js';
import { type Helper, helper } from './helper.js';
import { toText } from './scalars.js';

/**
 * A stream entry's fields as `[field, value]` pairs, in the order they were added. Not an object:
 * a stream entry may repeat a field name (`XADD s * a 1 a 2`). `Object.fromEntries(fields)` makes
 * one when the names are known to be unique (a repeated name keeps its last value).
 */
export type StreamFields = [field: string, value: string][];

/** StreamEntry is one entry of XRANGE, XREVRANGE, XREAD, XCLAIM or XAUTOCLAIM. */
export interface StreamEntry {
  /** The entry ID, `<milliseconds>-<sequence>`. */
  id: string;
  fields: StreamFields;
}

/**
 * GroupStreamEntry is one entry of XREADGROUP: `fields` is null when the entry was deleted
 * (XDEL, XTRIM) after it was delivered and the consumer reads its pending history again.
 */
export interface GroupStreamEntry {
  id: string;
  fields: StreamFields | null;
}

/** StreamRead is what XREAD or XREADGROUP returned for one stream. */
export interface StreamRead<Entry = StreamEntry> {
  stream: string;
  entries: Entry[];
}

/** XAUTOCLAIM's reply: where to go on, what was claimed, and which pending IDs no longer exist. */
export interface AutoClaimReply<Claimed = StreamEntry> {
  /** The start ID of the next call; `0-0` once the whole pending list was scanned. */
  next: string;
  /** The entries (or, with JUSTID, the IDs) claimed. */
  claimed: Claimed[];
  /**
   * Pending IDs whose entries were deleted: the server removed them from the pending list. Empty
   * before Redis 7, which sends a nil in `claimed` instead (skipped: its ID is not given).
   */
  deletedIds: string[];
}

function readEntry(reply: Reply, name: string, nilFields: boolean): GroupStreamEntry {
  const pair = toValues(reply, name);
  if (pair.length !== 2) throw new ReplyTypeError(name, 'an [id, fields] entry', reply);
  const [id, fields] = pair as [Reply, Reply];
  if (fields === null && nilFields) return { id: toText(id, name), fields: null };
  return {
    id: toText(id, name),
    fields: toPairs(fields, name).map(([field, value]) => [field, toText(value, name)]),
  };
}

/**
 * A list of entries. A nil in place of an entry is skipped: Redis before 7.0 answers XCLAIM and
 * XAUTOCLAIM so for an entry deleted while pending, and the entries around it were claimed.
 */
const readEntries = (reply: Reply, name: string) =>
  toValues(reply, name).flatMap((entry) =>
    entry === null ? [] : [readEntry(entry, name, false) as StreamEntry],
  );

/** Per-stream entries of XREAD/XREADGROUP: a RESP2 array of pairs or a RESP3 map; nil is none. */
function readStreams<Entry>(
  reply: Reply,
  name: string,
  readOne: (entry: Reply) => Entry,
): StreamRead<Entry>[] {
  if (reply === null) return [];
  return toPairs(reply, name).map(([stream, entries]) => ({
    stream,
    entries: toValues(entries, name).map(readOne),
  }));
}

/**
 * streamEntries converts an XRANGE, XREVRANGE or XCLAIM reply. The nil that Redis before 7.0
 * sends for an entry XCLAIM found deleted is skipped.
 */
export const streamEntries: Helper<StreamEntry[]> = helper((reply) =>
  readEntries(reply, 'streamEntries'),
);

/**
 * streamReads converts an XREAD reply, per stream in the order asked. A nil reply (nothing new
 * before BLOCK ran out) is an empty array.
 */
export const streamReads: Helper<StreamRead[]> = helper((reply) =>
  readStreams(
    reply,
    'streamReads',
    (entry) => readEntry(entry, 'streamReads', false) as StreamEntry,
  ),
);

/**
 * streamGroupReads converts an XREADGROUP reply, as streamReads does; an entry deleted since it
 * was delivered has `fields: null`.
 */
export const streamGroupReads: Helper<StreamRead<GroupStreamEntry>[]> = helper((reply) =>
  readStreams(reply, 'streamGroupReads', (entry) => readEntry(entry, 'streamGroupReads', true)),
);

function readAutoClaim<Claimed>(
  reply: Reply,
  name: string,
  readClaimed: (claimed: Reply) => Claimed[],
): AutoClaimReply<Claimed> {
  const parts = toValues(reply, name);
  // Redis 6.2 sends [next, claimed]; 7.0 adds the deleted IDs.
  if (parts.length !== 2 && parts.length !== 3)
    throw new ReplyTypeError(name, '[next, claimed, deleted IDs]', reply);
  const [next, claimed, deleted] = parts as [Reply, Reply, Reply | undefined];
  return {
    next: toText(next, name),
    claimed: readClaimed(claimed),
    deletedIds: deleted === undefined ? [] : toValues(deleted, name).map((id) => toText(id, name)),
  };
}

/** autoClaim converts an XAUTOCLAIM reply. */
export const autoClaim: Helper<AutoClaimReply> = helper((reply) =>
  readAutoClaim(reply, 'autoClaim', (claimed) => readEntries(claimed, 'autoClaim')),
);

/** autoClaimIds converts an XAUTOCLAIM ... JUSTID reply: `claimed` holds IDs. */
export const autoClaimIds: Helper<AutoClaimReply<string>> = helper((reply) =>
  readAutoClaim(reply, 'autoClaimIds', (claimed) =>
    toValues(claimed, 'autoClaimIds').map((id) => toText(id, 'autoClaimIds')),
  ),
);
