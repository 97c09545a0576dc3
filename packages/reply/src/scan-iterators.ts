import type { Reply } from '@x/resp';
import { toPairs } from './collections.js';
import { callWith, checkDoer, type Doer, type DoerArg } from './doer.js';
import { ReplyTypeError } from './errors.js';
import { toFloat, toText } from './scalars.js';
import {
  type CursorSettings,
  checkKey,
  readScanOptions,
  type ScanKeysOptions,
  type ScanOptions,
} from './scan-options.js';

// SCAN's guarantees, from the server: an element present for the whole iteration is returned at
// least once; an element may be returned more than once; one added or removed meanwhile may or
// may not be. The iterators pass that on as it is: they neither dedupe nor promise order.

/**
 * scanIterator iterates over the keys of the database with SCAN:
 * `for await (const key of scanIterator(conn, { match: 'user:*' }))`. Keys are UTF-8 text.
 */
export function scanIterator(doer: Doer, options?: ScanKeysOptions): AsyncGenerator<string, void> {
  checkDoer(doer, 'scanIterator');
  const settings = readScanOptions(options, 'scanIterator', true);
  return cursorLoop(doer, 'SCAN', [], settings, (elements) => texts(elements, 'scanIterator'));
}

/** sscanIterator iterates over the members of a set with SSCAN. */
export function sscanIterator(
  doer: Doer,
  key: string | Uint8Array,
  options?: ScanOptions,
): AsyncGenerator<string, void> {
  const settings = keyed(doer, key, options, 'sscanIterator');
  return cursorLoop(doer, 'SSCAN', [key], settings, (elements) => texts(elements, 'sscanIterator'));
}

/** hscanIterator iterates over a hash's fields with HSCAN, as `[field, value]` pairs. */
export function hscanIterator(
  doer: Doer,
  key: string | Uint8Array,
  options?: ScanOptions,
): AsyncGenerator<[field: string, value: string], void> {
  const settings = keyed(doer, key, options, 'hscanIterator');
  return cursorLoop(doer, 'HSCAN', [key], settings, (elements) =>
    toPairs(elements, 'hscanIterator').map(([field, value]) => [
      field,
      toText(value, 'hscanIterator'),
    ]),
  );
}

/** zscanIterator iterates over a sorted set with ZSCAN, as `[member, score]` pairs, in no order. */
export function zscanIterator(
  doer: Doer,
  key: string | Uint8Array,
  options?: ScanOptions,
): AsyncGenerator<[member: string, score: number], void> {
  const settings = keyed(doer, key, options, 'zscanIterator');
  return cursorLoop(doer, 'ZSCAN', [key], settings, (elements) =>
    toPairs(elements, 'zscanIterator').map(([member, score]) => [
      member,
      toFloat(score, 'zscanIterator'),
    ]),
  );
}

function keyed(doer: unknown, key: unknown, options: unknown, name: string): CursorSettings {
  checkDoer(doer, name);
  checkKey(key, name);
  return readScanOptions(options, name, false);
}

const texts = (elements: Reply[], name: string) => elements.map((value) => toText(value, name));

/**
 * Calls `command` from cursor 0 until the server answers cursor 0, yielding each batch's
 * elements. A generator: it sends nothing until the first `next()`, and nothing more once the
 * caller stops asking (a `break` in `for await`).
 */
async function* cursorLoop<T>(
  doer: Doer,
  command: string,
  key: DoerArg[],
  { extra, signal }: CursorSettings,
  convert: (elements: Reply[]) => T[],
): AsyncGenerator<T, void> {
  const name = `${command.toLowerCase()}Iterator`;
  let cursor = '0';
  do {
    const reply = await callWith(doer, signal, command, [...key, cursor, ...extra]);
    const [next, elements] = readBatch(reply, name);
    cursor = next;
    for (const item of convert(elements)) {
      signal?.throwIfAborted();
      yield item;
    }
  } while (cursor !== '0');
}

/** A SCAN-family reply: `[cursor, elements]`, in RESP2 and RESP3 alike. */
function readBatch(reply: Reply, name: string): [cursor: string, elements: Reply[]] {
  if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
    throw new ReplyTypeError(name, 'a [cursor, elements] pair', reply);
  }
  const cursor = Buffer.isBuffer(reply[0]) || typeof reply[0] === 'string' ? String(reply[0]) : '';
  // A cursor is an unsigned 64-bit number in decimal: kept as text, it cannot lose precision.
  if (!/^\d+$/.test(cursor)) throw new ReplyTypeError(name, 'a decimal cursor', reply[0]);
  return [cursor, reply[1]];
}
