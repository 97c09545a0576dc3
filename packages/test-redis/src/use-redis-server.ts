import { afterAll, beforeAll } from 'vitest';
import { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';

/** A server that a test suite shares, started before its tests and stopped after them. */
export interface SuiteServer {
  /** The running server; read it inside tests and hooks, not at module load. */
  readonly server: RedisServer;
  readonly url: string;
}

/** Starts a redis-server for the current suite (beforeAll) and stops it afterwards (afterAll). */
export function useRedisServer(options: RedisServerOptions = {}): SuiteServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const running = (): RedisServer => {
    if (server === undefined)
      throw new Error('useRedisServer: the server is only there inside tests and hooks');
    return server;
  };
  return {
    get server() {
      return running();
    },
    get url() {
      return running().url;
    },
  };
}
