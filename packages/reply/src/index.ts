export { Args, args } from './args.js';
export {
  byteSlices,
  floatMap,
  floats,
  int64Map,
  int64s,
  intMap,
  ints,
  stringMap,
  strings,
  uint64Map,
  uint64s,
  values,
} from './collections.js';
export type { Doer, DoerArg } from './doer.js';
export { NilError, ReplyTypeError } from './errors.js';
export type { Helper } from './helper.js';
export { bool, bytes, float, int, int64, string, uint64 } from './scalars.js';
export {
  type Converted,
  type Converter,
  field,
  optional,
  type StructOf,
  scan,
  scanSlice,
  scanStruct,
  struct,
  type TupleOf,
  tuple,
} from './scan.js';
export {
  hscanIterator,
  type KeyedIterator,
  scanIterator,
  sscanIterator,
  zscanIterator,
} from './scan-iterators.js';
export type { ScanKeysOptions, ScanOptions } from './scan-options.js';
export {
  type Latency,
  type LatencyHistory,
  latencies,
  latencyHistories,
  positions,
  type SlowLog,
  slowLogs,
} from './server-replies.js';
export {
  type PendingEntry,
  type PendingSummary,
  pendingEntries,
  pendingSummary,
} from './stream-pending.js';
export {
  type AutoClaimReply,
  autoClaim,
  autoClaimIds,
  type GroupStreamEntry,
  type StreamEntry,
  type StreamFields,
  type StreamRead,
  streamEntries,
  streamGroupReads,
  streamReads,
} from './streams.js';
