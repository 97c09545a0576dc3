export type { MigrationOptions } from './cluster-migration.js';
export type { ClusterRole } from './cluster-views.js';
export {
  type FakeConnection,
  type FakeHandler,
  type FakeServer,
  type FakeServerOptions,
  startFakeServer,
} from './fake-server.js';
export { freePort } from './free-port.js';
export { captureProcessFaults } from './process-faults.js';
export { openRawClient, type RawClient } from './raw-client.js';
export { runReadmeExample } from './readme-example.js';
export {
  type ClusterNode,
  type FailoverOptions,
  type Promotion,
  type RedisCluster,
  type RedisClusterOptions,
  startRedisCluster,
} from './redis-cluster.js';
export {
  hasRedisServer,
  type RedisServer,
  RedisServerNotFoundError,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server.js';
export {
  type SentinelGroup,
  type SentinelGroupOptions,
  startSentinelGroup,
} from './sentinel-group.js';
export { type SuiteCluster, useRedisCluster } from './use-redis-cluster.js';
export { type SuiteServer, useRedisServer } from './use-redis-server.js';
