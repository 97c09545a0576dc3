import { type DecoderOptions, readDecoderLimits } from '@x/resp';
import { readCount, readTimeLimit } from './time-limit.js';

/** ConnOptions configures a Connection around a socket that is already connected. */
export interface ConnOptions {
  /** The protocol the connection speaks; with 3, push frames go to push listeners. Default 2. */
  protocol?: 2 | 3;
  /**
   * Fail the connection when a reply is awaited and the server sends nothing for this long; a
   * blocking command (BLPOP, XREAD BLOCK, WAIT, ...) at the head of the queue adds its own
   * timeout, and one with timeout 0 waits for ever. 0 or Infinity turns it off. Default 5,000.
   */
  readTimeoutMs?: number;
  /**
   * Fail the connection when a write cannot drain for this long: the server takes none of what
   * is sent. 0 or Infinity turns it off. Default: `readTimeoutMs`, so that a call queued behind
   * a write to a stopped server is not pending for ever either.
   */
  writeTimeoutMs?: number;
  /** Unread replies (from send, MONITOR, RESP2 pub/sub) above which reading pauses. Default 10,000. */
  maxBufferedReplies?: number;
  /**
   * Send a PING after this long without traffic, and fail the connection when it gets no answer
   * within the same time: finds a dead peer on an idle connection. The timer never keeps the
   * process alive. Default: off.
   */
  keepAlivePingMs?: number;
  /** Longest argument sent; longer ones reject with RangeError. Default 512 MiB, the server's proto-max-bulk-len. */
  maxArgBytes?: number;
  /** How long `close()` waits for replies to commands already issued. Default 10,000. */
  closeTimeoutMs?: number;
  /** Decoder settings: `bulkStringsAs` ('buffer', 'string' or 'view') and the limits. */
  decoder?: Omit<DecoderOptions, 'onReply' | 'onPush' | 'onAttribute'>;
}

/** The default of `readTimeoutMs`: between go-redis's 3 s and StackExchange.Redis's 5 s. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

/** ConnOptions with every default applied and every value checked; 0 means "off". */
export interface ConnSettings {
  resp3: boolean;
  readTimeoutMs: number;
  writeTimeoutMs: number;
  closeTimeoutMs: number;
  keepAlivePingMs: number;
  maxBufferedReplies: number;
  maxArgBytes: number | undefined;
}

/**
 * Reads ConnOptions, throwing a TypeError or RangeError that names the first bad value: `dial`
 * calls it before it opens a socket, the Connection constructor again.
 */
export function readConnOptions(options: ConnOptions): ConnSettings {
  // Decoder settings at the top level, from JavaScript, would be ignored without a word.
  for (const misplaced of ['bulkStringsAs', 'maxReplyBytes', 'maxDepth'])
    if ((options as Record<string, unknown>)[misplaced] !== undefined)
      throw new TypeError(`${misplaced} belongs under \`decoder\`: { decoder: { ${misplaced} } }`);
  if (options.protocol !== undefined && options.protocol !== 2 && options.protocol !== 3)
    throw new RangeError(`protocol must be 2 or 3, got ${String(options.protocol)}`);
  if (options.maxArgBytes !== undefined) readCount(options.maxArgBytes, 'maxArgBytes', 0);
  if (options.decoder !== undefined) readDecoderOptions(options.decoder);
  const readTimeoutMs = readTimeLimit(
    options.readTimeoutMs,
    'readTimeoutMs',
    DEFAULT_READ_TIMEOUT_MS,
  );
  return {
    resp3: options.protocol === 3,
    readTimeoutMs,
    writeTimeoutMs: readTimeLimit(options.writeTimeoutMs, 'writeTimeoutMs', readTimeoutMs),
    closeTimeoutMs: readTimeLimit(options.closeTimeoutMs, 'closeTimeoutMs', 10_000),
    keepAlivePingMs: readTimeLimit(options.keepAlivePingMs, 'keepAlivePingMs', 0),
    maxBufferedReplies: readCount(options.maxBufferedReplies, 'maxBufferedReplies', 10_000),
    maxArgBytes: options.maxArgBytes,
  };
}

/** Checks `decoder` with the Decoder's own rules, so that dial refuses it before it connects. */
function readDecoderOptions(decoder: unknown): void {
  if (typeof decoder !== 'object' || decoder === null)
    throw new TypeError(
      `decoder must be an object, got ${decoder === null ? 'null' : typeof decoder}`,
    );
  readDecoderLimits(decoder);
}
