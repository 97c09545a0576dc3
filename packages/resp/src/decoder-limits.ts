/**
 * DecoderLimits are the bounds a Decoder puts on what a hostile or broken peer can make it hold.
 * Each is a whole number of 1 or more: none can be turned off, as 0 or NaN would do silently.
 */
export interface DecoderLimits {
  /** Longest bulk string accepted, in bytes. Default 512 MiB, as the server's proto-max-bulk-len. */
  maxBulkLength: number;
  /** Most elements accepted in one array, set, map or push. Default 2^32 - 1. */
  maxAggregateLength: number;
  /** Deepest nesting of aggregates accepted. Default 128. */
  maxDepth: number;
  /**
   * Longest line accepted, in bytes between the type byte and CRLF: simple strings, errors,
   * numbers, doubles, booleans, nulls and the length line of a bulk string or aggregate.
   * Default 1 MiB. The same line is accepted or refused however the stream is cut.
   */
  maxLineLength: number;
  /**
   * Largest estimated memory of one reply while it is assembled, in bytes. Default 1 GiB
   * (2^30): one 512 MiB bulk string, or about 8 million small bulk strings in one array. Each
   * value counts its wire bytes plus a measured heap overhead (32 for a number, 40 plus one per
   * character for a string, since V8 may keep text at two bytes a character, 120 for a Buffer,
   * 800 plus its message for an error reply, 200 for an array or map); a bulk string counts
   * when its header arrives. Bulk strings kept as views of their socket chunk can use up to
   * twice their wire bytes. With `bulkStringsAs: 'string'` a bulk string counts about twice its
   * length, so one near 512 MiB needs a larger bound (V8 cannot make a string that long anyway).
   */
  maxReplyBytes: number;
}

/** The limits a Decoder applies to an option that is not given. */
export const DEFAULT_DECODER_LIMITS: Readonly<DecoderLimits> = {
  maxBulkLength: 512 * 1024 * 1024,
  maxAggregateLength: 2 ** 32 - 1,
  maxDepth: 128,
  maxLineLength: 1024 * 1024,
  maxReplyBytes: 2 ** 30,
};

const limitNames = Object.keys(DEFAULT_DECODER_LIMITS) as (keyof DecoderLimits)[];

/**
 * readDecoderLimits checks the limits and `bulkStringsAs` of Decoder options and returns the
 * limits with the defaults applied. It throws a TypeError (not a number, or a bad
 * `bulkStringsAs`) or a RangeError (not a whole number of 1 or more: NaN, 0, negative,
 * fractional, Infinity, past 2^53 - 1) that names the option and the value. A Decoder calls it;
 * a client can call it to refuse bad options before it opens a socket.
 */
export function readDecoderLimits(
  options: Partial<DecoderLimits> & { bulkStringsAs?: 'buffer' | 'string' | 'view' },
): DecoderLimits {
  const bulkStringsAs: unknown = options.bulkStringsAs;
  if (
    bulkStringsAs !== undefined &&
    bulkStringsAs !== 'buffer' &&
    bulkStringsAs !== 'string' &&
    bulkStringsAs !== 'view'
  )
    throw new TypeError(
      `bulkStringsAs must be 'buffer', 'string' or 'view', got ${describe(bulkStringsAs)}`,
    );
  const limits = { ...DEFAULT_DECODER_LIMITS };
  for (const name of limitNames) {
    const value: unknown = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number')
      throw new TypeError(`${name} must be a number, got ${describe(value)}`);
    // Infinity is refused too: 2^53 - 1 is as good as no limit, and says so.
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${name} must be a whole number of 1 or more, got ${value}`);
    limits[name] = value;
  }
  return limits;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
