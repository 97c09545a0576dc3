export { PoolClosedError, PoolExhaustedError } from './errors.js';
export { Pool, type PoolOptions, type PoolStats } from './pool.js';
export { PooledConn } from './pooled-conn.js';
