export { Cluster, type ClusterNode, type ScanOptions } from './cluster.js';
export type { ClusterCallOptions, ClusterOptions, ReadFrom } from './cluster-options.js';
export { ClusterPipeline } from './cluster-pipeline.js';
export { ClusterSubscriber, type ClusterSubscriberOptions } from './cluster-subscriber.js';
export {
  type CommandInfo,
  CommandTable,
  keyIndexes,
  type RequestPolicy,
  type ResponsePolicy,
} from './command-table.js';
export {
  type Attempt,
  ClusterConnectError,
  ClusterRoutingError,
  CrossSlotError,
  ShardMovedError,
} from './errors.js';
export { crc16, keySlot, SLOT_COUNT } from './key-slot.js';
export type { BeginSearch, FindKeys, KeySpec } from './key-specs.js';
export type { NatMap, NodeAddress } from './node-address.js';
