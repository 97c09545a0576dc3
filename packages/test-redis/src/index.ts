export {
  type FakeConnection,
  type FakeHandler,
  type FakeServer,
  type FakeServerOptions,
  startFakeServer,
} from './fake-server.js';
export { freePort } from './free-port.js';
export { openRawClient, type RawClient } from './raw-client.js';
export {
  hasRedisServer,
  type RedisServer,
  RedisServerNotFoundError,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server.js';
