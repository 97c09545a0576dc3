import { Decoder, type DecoderOptions, type Reply } from '../src/index.js';

/** Everything a Decoder emitted, by callback. */
export interface Decoded {
  replies: Reply[];
  attributes: Map<Reply, Reply>[];
}

/** Feeds `chunks` to a fresh Decoder and collects what it emits. */
export function decodeChunks(
  chunks: readonly (string | Uint8Array)[],
  options: Partial<DecoderOptions> = {},
): Decoded {
  const decoded: Decoded = { replies: [], attributes: [] };
  const decoder = new Decoder({
    onReply: (reply) => decoded.replies.push(reply),
    onAttribute: (attributes) => decoded.attributes.push(attributes),
    ...options,
  });
  for (const chunk of chunks)
    decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  return decoded;
}

/** Splits `wire` into two chunks at every offset, and into single bytes. */
export function everySplit(wire: Buffer): Buffer[][] {
  const splits: Buffer[][] = [];
  for (let at = 1; at < wire.length; at++) splits.push([wire.subarray(0, at), wire.subarray(at)]);
  splits.push([...wire].map((byte) => Buffer.from([byte])));
  return splits;
}
