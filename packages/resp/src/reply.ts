import type { ReplyError } from './errors.js';

/**
 * Reply is any value the decoder yields. Bulk strings are Buffers unless the decoder was asked
 * for strings; error replies are ReplyError values, never thrown.
 */
export type Reply =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | ReplyError
  | Push
  | Reply[]
  | Map<Reply, Reply>;

/**
 * Push is an out-of-band RESP3 frame (`>`): pub/sub messages, client-side caching
 * invalidations. A connection routes it to listeners instead of matching it to a command.
 */
export class Push {
  /** The frame's elements; the first one names the kind of push (`message`, `invalidate`, ...). */
  readonly values: Reply[];

  constructor(values: Reply[]) {
    this.values = values;
  }

  /** The first element as text, such as `message`, `pmessage` or `invalidate`. */
  get kind(): string {
    const first = this.values[0];
    return typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString() : '';
  }
}
