import { hasBrand, RedisError } from '@x/resp';

const exhaustedBrand = Symbol.for('@x/pool/PoolExhaustedError');
const closedBrand = Symbol.for('@x/pool/PoolClosedError');

/** PoolExhaustedError: maxActive connections are in use and the pool does not wait. */
export class PoolExhaustedError extends RedisError {
  override name = 'PoolExhaustedError';
  readonly [exhaustedBrand] = true;

  constructor(maxActive: number) {
    super(
      `connection pool exhausted: all ${maxActive} connections are in use`,
      'ERR_POOL_EXHAUSTED',
    );
  }

  /** Reports whether `value` is a PoolExhaustedError from any copy of @x/pool. */
  static override is(value: unknown): value is PoolExhaustedError {
    return hasBrand(value, exhaustedBrand);
  }
}

/** PoolClosedError: the pool was closed; it hands out no more connections. */
export class PoolClosedError extends RedisError {
  override name = 'PoolClosedError';
  readonly [closedBrand] = true;

  constructor() {
    super('connection pool closed', 'ERR_POOL_CLOSED');
  }

  /** Reports whether `value` is a PoolClosedError from any copy of @x/pool. */
  static override is(value: unknown): value is PoolClosedError {
    return hasBrand(value, closedBrand);
  }
}
