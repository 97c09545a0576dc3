import { type Reply, ReplyError } from '@x/resp';
import { NilError, ReplyTypeError } from './errors.js';
import { type Helper, helper } from './helper.js';
import { toBytes, toFloat, toInt, toInt64, toText, toUint64 } from './scalars.js';

/** The elements of an array reply; a RESP3 map is flattened to key, value, key, value. */
export function toValues(reply: Reply, name = 'values'): Reply[] {
  if (reply === null) throw new NilError(name);
  if (Array.isArray(reply)) return reply;
  if (reply instanceof Map) return [...reply].flat();
  throw new ReplyTypeError(name, 'an array', reply);
}

/** Converts every element; nil elements become `nilValue`, error elements are thrown. */
function convertEach<T>(
  reply: Reply,
  name: string,
  convert: (value: Reply, name: string) => T,
  nilValue: T,
): T[] {
  return toValues(reply, name).map((value) => {
    if (value === null) return nilValue;
    if (value instanceof ReplyError) throw value;
    return convert(value, name);
  });
}

/** Field/value pairs from a RESP2 flat array (even length), a RESP3 map, or an array of pairs. */
export function toPairs(reply: Reply, name: string): [string, Reply][] {
  if (reply === null) throw new NilError(name);
  if (reply instanceof Map) return [...reply].map(([key, value]) => [keyText(key, name), value]);
  if (!Array.isArray(reply)) throw new ReplyTypeError(name, 'an array of pairs or a map', reply);
  // RESP3 sends some pair lists as nested two-element arrays (ZRANGE ... WITHSCORES).
  if (Array.isArray(reply[0])) {
    return reply.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new ReplyTypeError(name, 'two-element pairs', pair);
      return [keyText(pair[0]!, name), pair[1]!];
    });
  }
  if (reply.length % 2 !== 0) throw new ReplyTypeError(name, 'an even number of elements', reply);
  const pairs: [string, Reply][] = [];
  for (let index = 0; index < reply.length; index += 2) {
    pairs.push([keyText(reply[index]!, name), reply[index + 1]!]);
  }
  return pairs;
}

function keyText(key: Reply, name: string): string {
  if (Buffer.isBuffer(key)) return key.toString();
  if (typeof key === 'string') return key;
  throw new ReplyTypeError(name, 'string keys', key);
}

function convertMap<T>(
  reply: Reply,
  name: string,
  convert: (value: Reply, name: string) => T,
): Record<string, T> {
  // No prototype: a field called "__proto__" is just a field.
  const record = Object.create(null) as Record<string, T>;
  for (const [key, value] of toPairs(reply, name)) {
    if (value instanceof ReplyError) throw value;
    record[key] = convert(value, name);
  }
  return record;
}

/** values returns an array reply's elements as they are (a RESP3 map is flattened). */
export const values = helper((reply) => toValues(reply));
/** strings converts an array of strings; nil elements become "" as in Redigo. */
export const strings = helper((reply) => convertEach(reply, 'strings', toText, ''));
// Typed by hand: the inferred `Buffer<ArrayBufferLike>` does not compile for users of an
// older @types/node 20.x (20.11 has no generic Buffer).
/** byteSlices converts an array of strings to Buffers; nil elements stay null. */
export const byteSlices: Helper<(Buffer | null)[]> = helper((reply) =>
  convertEach<Buffer | null>(reply, 'byteSlices', toBytes, null),
);
/** ints converts an array of integers to numbers; nil elements become 0 as in Redigo. */
export const ints = helper((reply) => convertEach(reply, 'ints', toInt, 0));
/** int64s converts an array of integers to bigints; nil elements become 0n. */
export const int64s = helper((reply) =>
  convertEach(reply, 'int64s', (value, name) => toInt64(value, name), 0n),
);
/** uint64s converts an array of unsigned integers to bigints; nil elements become 0n. */
export const uint64s = helper((reply) => convertEach(reply, 'uint64s', toUint64, 0n));
/** floats converts an array of numbers; nil elements become 0 as in Redigo. */
export const floats = helper((reply) => convertEach(reply, 'floats', toFloat, 0));
/** stringMap converts field/value pairs (HGETALL, CONFIG GET) to an object of strings. */
export const stringMap = helper((reply) => convertMap(reply, 'stringMap', toText));
/** intMap converts field/value pairs to an object of numbers. */
export const intMap = helper((reply) => convertMap(reply, 'intMap', toInt));
/** int64Map converts field/value pairs to an object of bigints. */
export const int64Map = helper((reply) =>
  convertMap(reply, 'int64Map', (value, name) => toInt64(value, name)),
);
/** uint64Map converts field/value pairs to an object of unsigned bigints. */
export const uint64Map = helper((reply) => convertMap(reply, 'uint64Map', toUint64));
/** floatMap converts field/value pairs (ZRANGE ... WITHSCORES) to an object of numbers. */
export const floatMap = helper((reply) => convertMap(reply, 'floatMap', toFloat));
