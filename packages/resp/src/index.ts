export { CommandDecoder, type CommandDecoderOptions, splitInline } from './command-decoder.js';
export { Decoder, type DecoderOptions } from './decoder.js';
export {
  DEFAULT_DECODER_LIMITS,
  type DecoderLimits,
  readDecoderLimits,
} from './decoder-limits.js';
export {
  type Arg,
  argToWire,
  CommandEncoder,
  commandToWire,
  encodeCommand,
  MAX_ARG_BYTES,
  namedCommandToWire,
  type RedisArgument,
  type ScalarArg,
} from './encode-command.js';
export { type EncodeReplyOptions, encodeReply, type ReplyValue } from './encode-reply.js';
export {
  hasBrand,
  joinRedisErrorFamily,
  ProtocolError,
  RedisError,
  ReplyError,
} from './errors.js';
export { Push, type Reply } from './reply.js';
