import { afterAll, beforeAll } from 'vitest';
import { type RedisCluster, type RedisClusterOptions, startRedisCluster } from './redis-cluster.js';

/** A cluster that a test suite shares, started before its tests and stopped after them. */
export interface SuiteCluster {
  /** The running cluster; read it inside tests and hooks, not at module load. */
  readonly cluster: RedisCluster;
}

/** Starts a Redis Cluster for the current suite (beforeAll) and stops it afterwards (afterAll). */
export function useRedisCluster(options: RedisClusterOptions = {}): SuiteCluster {
  let cluster: RedisCluster | undefined;
  const hookTimeoutMs = (options.timeoutMs ?? 15_000) + 10_000;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  }, hookTimeoutMs);
  afterAll(async () => {
    await cluster?.stop();
  }, hookTimeoutMs);
  return {
    get cluster() {
      if (cluster === undefined)
        throw new Error('useRedisCluster: the cluster is only there inside tests and hooks');
      return cluster;
    },
  };
}
