export { DemotedMasterError, type SentinelAttempt, SentinelError } from './errors.js';
export type { NodeAddress } from './node-address.js';
export type { SentinelConnectOptions, SentinelDialOptions } from './options.js';
export { type SentinelDial, sentinelDial } from './sentinel-dial.js';
