import { ReplyError } from './errors.js';
import type { Reply } from './reply.js';

// What one decoded value costs in heap beyond its wire bytes, for the maxReplyBytes estimate.
// Measured with bench/reply-memory.mjs on Node 20.20 (V8 11.3, x64): heapUsed + arrayBuffers
// after a full GC, divided by the million values of one decoded array. Each figure includes
// the value's 8-byte slot in its parent array (about 10.5 bytes with the array's growth slack).
// The constants round the largest measurement up, so the estimate does not fall short.

/**
 * Cost of a number, boolean or null: measured 10.5 (unboxed in an array of numbers) to 26.5 (a
 * boxed double among other values). A bigint measured 34.5 at 61 bits (22 wire bytes) and 49.2
 * at 40 digits (43 wire bytes): its digits, charged as wire bytes, cover its growth.
 */
export const SCALAR_COST = 32;
/**
 * Cost of a string beyond its characters: measured 34.5 for two characters (16-byte header,
 * 8-byte aligned body). Each character is counted once more, for text V8 keeps at two bytes a
 * character.
 */
export const STRING_COST = 40;
/** Cost of a Buffer: measured 114.6 for one byte (a Uint8Array object over the shared pool). */
export const BUFFER_COST = 120;
/** Cost of a ReplyError: measured 698 to 817, most of it the captured 10-frame stack trace. */
export const ERROR_COST = 800;
/** Cost of an array, map, set or push: measured 194.4 for an array of one (17-slot store). */
export const AGGREGATE_COST = 200;

/**
 * Returns the estimated heap cost of a complete value, beyond its wire bytes. A non-empty
 * aggregate is charged when its header arrives, so this only sees empty ones.
 */
export function retainedCost(value: Reply, wireBytes: number): number {
  if (typeof value === 'object' && value !== null) {
    if (value instanceof Uint8Array) return BUFFER_COST;
    if (value instanceof ReplyError) return ERROR_COST + wireBytes;
    return AGGREGATE_COST;
  }
  // Text with one character past U+00FF (or one invalid byte, decoded as U+FFFD) is kept at two
  // bytes a character: its wire bytes, counted once more, cover the second byte. Wire bytes, not
  // characters, so that the cost is known from the header and the same however the value is cut.
  return typeof value === 'string' ? STRING_COST + wireBytes : SCALAR_COST;
}

/** Returns retainedCost() of the value that a bulk frame of RESP `type`, `wireBytes` long, opens. */
export function bulkCost(type: number, asString: boolean, wireBytes: number): number {
  if (type === 33) return ERROR_COST + wireBytes; // '!' blob error
  return asString ? STRING_COST + wireBytes : BUFFER_COST;
}
