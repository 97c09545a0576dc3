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
export { type SuiteServer, useRedisServer } from './use-redis-server.js';
