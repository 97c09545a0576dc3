import type { ScalarArg } from '@x/resp';

/**
 * Args builds an argument list (Redigo's Args). It is an array, so it can be passed whole as one
 * argument (`conn.do('HSET', args)`, flattened one level) or spread.
 */
export class Args extends Array<ScalarArg> {
  /** Appends values. */
  add(...values: ScalarArg[]): this {
    this.push(...values);
    return this;
  }

  /**
   * Appends a flattened object, Map or array (Redigo's AddFlat): an object's own fields and a
   * Map's entries become name, value pairs; an array's elements are appended. `undefined`
   * fields are skipped.
   */
  addFlat(
    value:
      | Readonly<Record<string, ScalarArg | undefined>>
      | ReadonlyMap<ScalarArg, ScalarArg>
      | readonly ScalarArg[],
  ): this {
    if (Array.isArray(value)) {
      this.push(...(value as readonly ScalarArg[]));
    } else if (value instanceof Map) {
      for (const [key, item] of value) this.push(key, item);
    } else {
      for (const [key, item] of Object.entries(value))
        if (item !== undefined) this.push(key, item as ScalarArg);
    }
    return this;
  }

  // Array methods that make new arrays (map, filter) should make plain arrays, not Args.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/** Starts an argument list: `args().add('user:1').addFlat({ name: 'Ada', age: 36 })`. */
export function args(...values: ScalarArg[]): Args {
  const list = new Args();
  return list.add(...values);
}
