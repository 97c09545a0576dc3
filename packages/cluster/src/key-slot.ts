import { type Arg, argToWire } from '@x/resp';

/** The number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection): the variant Redis Cluster
// uses, as the cluster specification gives it. One entry per value of the top byte.
const CRC16_TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * keySlot returns the hash slot (0 to 16383) of a key: CRC16/XMODEM of its bytes mod 16384, or
 * of its hash tag when it has one (the bytes between the first `{` and the first `}` after it,
 * when there is at least one). The key is turned into bytes exactly as @x/resp sends it:
 * strings as UTF-8, numbers and bigints as decimal text, `null` as the empty string, objects
 * through `toRedisArg()`. Throws a TypeError for what @x/resp refuses to send, arrays included.
 */
export function keySlot(key: Arg): number {
  if (typeof key === 'string') return stringSlot(key);
  if (key instanceof Uint8Array) return bytesSlot(key);
  if (Array.isArray(key)) throw new TypeError('keySlot: a key cannot be an array');
  const wire = argToWire(key);
  return typeof wire === 'string' ? stringSlot(wire) : bytesSlot(wire);
}

/** The slot of a string: one pass for ASCII without a brace, the common key. */
function stringSlot(key: string): number {
  let crc = 0;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code === OPEN_BRACE || code >= 0x80) return taggedStringSlot(key);
    crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ code) & 0xff]!) & 0xffff;
  }
  return crc & (SLOT_COUNT - 1);
}

/** The slot of any string's UTF-8 bytes, encoded on the fly: no Buffer for any key. */
function taggedStringSlot(key: string): number {
  let start = 0;
  let end = key.length;
  // '{' and '}' are ASCII, so their UTF-16 positions bound the same bytes as in UTF-8.
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let index = start; index < end; index++) {
    let code = key.charCodeAt(index);
    if (code < 0x80) {
      crc = addByte(crc, code);
      continue;
    }
    if (code < 0x800) {
      crc = addByte(addByte(crc, 0xc0 | (code >> 6)), 0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const low = index + 1 < end ? key.charCodeAt(index + 1) : 0;
      if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        // A surrogate pair: one code point of four UTF-8 bytes.
        const point = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        crc = addByte(crc, 0xf0 | (point >> 18));
        crc = addByte(crc, 0x80 | ((point >> 12) & 0x3f));
        crc = addByte(crc, 0x80 | ((point >> 6) & 0x3f));
        crc = addByte(crc, 0x80 | (point & 0x3f));
        index++;
        continue;
      }
      // A lone surrogate goes out as U+FFFD, as Buffer.from and the encoder write it.
      code = 0xfffd;
    }
    crc = addByte(crc, 0xe0 | (code >> 12));
    crc = addByte(crc, 0x80 | ((code >> 6) & 0x3f));
    crc = addByte(crc, 0x80 | (code & 0x3f));
  }
  return crc & (SLOT_COUNT - 1);
}

function bytesSlot(key: Uint8Array): number {
  let start = 0;
  let end = key.length;
  // A loop, not indexOf: Buffer's indexOf costs more than scanning a short key.
  for (let open = 0; open < end; open++) {
    if (key[open] !== OPEN_BRACE) continue;
    for (let close = open + 1; close < end; close++) {
      if (key[close] !== CLOSE_BRACE) continue;
      if (close > open + 1) {
        start = open + 1;
        end = close;
      }
      break;
    }
    break;
  }
  return crc16(key, start, end) & (SLOT_COUNT - 1);
}

function addByte(crc: number, byte: number): number {
  return ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ byte) & 0xff]!) & 0xffff;
}

/** crc16 returns the CRC16/XMODEM checksum of `bytes` (from `start` up to `end`), which keySlot uses. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let index = start; index < end; index++) crc = addByte(crc, bytes[index]!);
  return crc;
}
