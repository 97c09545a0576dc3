import type { Reply } from '@x/resp';
import { toPairs } from './collections.js';
import { callWith, checkDoer, type Doer, type DoerArg, throwIfAborted } from './doer.js';
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

/** KeyedIterator walks the elements of one key: HSCAN, SSCAN or ZSCAN. */
export type KeyedIterator<T> = (
  doer: Doer,
  key: string | Uint8Array,
  options?: ScanOptions,
) => AsyncGenerator<T, void>;

const texts = (elements: Reply[], name: string) => elements.map((value) => toText(value, name));

/** HSCAN and ZSCAN batches are flat: field, value, field, value (RESP3 too). */
function pairs<V>(
  elements: Reply[],
  name: string,
  convert: (value: Reply, name: string) => V,
): [string, V][] {
  return toPairs(elements, name).map(([first, second]) => [first, convert(second, name)]);
}

function keyedIterator<T>(
  command: string,
  convert: (elements: Reply[], name: string) => T[],
): KeyedIterator<T> {
  const name = `${command.toLowerCase()}Iterator`;
  return (doer, key, options) => {
    checkDoer(doer, name);
    checkKey(key, name);
    return cursorLoop(doer, command, [key], readScanOptions(options, name, false), convert);
  };
}

/**
 * scanIterator iterates over the keys of the database with SCAN:
 * `for await (const key of scanIterator(conn, { match: 'user:*' }))`. Keys are UTF-8 text.
 */
export function scanIterator(doer: Doer, options?: ScanKeysOptions): AsyncGenerator<string, void> {
  checkDoer(doer, 'scanIterator');
  const settings = readScanOptions(options, 'scanIterator', true);
  return cursorLoop(doer, 'SCAN', [], settings, texts);
}

/** sscanIterator iterates over the members of a set with SSCAN. */
export const sscanIterator: KeyedIterator<string> = keyedIterator('SSCAN', texts);

/** hscanIterator iterates over a hash's fields with HSCAN, as `[field, value]` pairs. */
export const hscanIterator: KeyedIterator<[field: string, value: string]> = keyedIterator(
  'HSCAN',
  (elements, name) => pairs(elements, name, toText),
);

/** zscanIterator iterates over a sorted set with ZSCAN, as `[member, score]` pairs, in no order. */
export const zscanIterator: KeyedIterator<[member: string, score: number]> = keyedIterator(
  'ZSCAN',
  (elements, name) => pairs(elements, name, toFloat),
);

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
  convert: (elements: Reply[], name: string) => T[],
): AsyncGenerator<T, void> {
  const name = `${command.toLowerCase()}Iterator`;
  let cursor = '0';
  // Redis never returns a cursor twice in one walk (only the end is 0 again); a server that does
  // would keep this loop going for ever. Brent's cycle detection finds any such loop within
  // about twice its length, keeping one cursor: `saved`, replaced at steps 1, 2, 4, 8...
  let saved = '0';
  let power = 1;
  let steps = 0;
  do {
    const reply = await callWith(doer, signal, command, [...key, cursor, ...extra]);
    const [next, elements] = readBatch(reply, name);
    if (next !== '0' && next === saved)
      throw new ReplyTypeError(name, 'a cursor not returned before in this walk', next);
    if (++steps === power) {
      saved = next;
      power *= 2;
      steps = 0;
    }
    cursor = next;
    for (const item of convert(elements, name)) {
      throwIfAborted(signal);
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
  // "00" is the end too; other leading zeros are dropped so that cursors compare as numbers.
  return [cursor.replace(/^0+(?=\d)/, ''), reply[1]];
}
