import { type DoerArg, typeName } from './doer.js';

/** ScanOptions narrow an HSCAN, SSCAN or ZSCAN iteration; every option is optional. */
export interface ScanOptions {
  /** Glob-style pattern (MATCH). The server filters each batch after reading it, so a rare match may take many calls. */
  readonly match?: string | Uint8Array | undefined;
  /** How many elements the server looks at per call (COUNT): a hint, not a limit. Server default 10. */
  readonly count?: number | undefined;
  /** Aborting it rejects the iteration with the signal's reason, at once; no further call is made. */
  readonly signal?: AbortSignal | undefined;
}

/** ScanKeysOptions narrow a SCAN iteration: ScanOptions and the key type. */
export interface ScanKeysOptions extends ScanOptions {
  /** Only keys of this type (TYPE): `string`, `list`, `set`, `zset`, `hash`, `stream`, or a module type's name. */
  readonly type?: string | undefined;
}

/** What a cursor loop needs from its options. */
export interface CursorSettings {
  /** MATCH, COUNT and TYPE as arguments, sent after the cursor. */
  readonly extra: DoerArg[];
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks the options of `name` (TypeError for a wrong type or an unknown name, RangeError for a
 * bad count) so a mistake is reported where it is made, before any command is sent.
 */
export function readScanOptions(options: unknown, name: string, withType: boolean): CursorSettings {
  if (options === undefined) return { extra: [], signal: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${name}: options must be an object, got ${typeName(options)}`);
  }
  const known = withType ? ['match', 'count', 'type', 'signal'] : ['match', 'count', 'signal'];
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!known.includes(key))
      throw new TypeError(`${name}: unknown option "${key}" (options: ${known.join(', ')})`);
  }
  const { match, count, type, signal } = given;
  const extra: DoerArg[] = [];
  if (match !== undefined) {
    if (typeof match !== 'string' && !(match instanceof Uint8Array))
      throw new TypeError(`${name}: match must be a string or bytes, got ${typeName(match)}`);
    extra.push('MATCH', match);
  }
  if (count !== undefined) {
    if (typeof count !== 'number')
      throw new TypeError(`${name}: count must be a number, got ${typeName(count)}`);
    if (!Number.isSafeInteger(count) || count < 1)
      throw new RangeError(`${name}: count must be a positive integer, got ${count}`);
    extra.push('COUNT', count);
  }
  if (type !== undefined) {
    if (typeof type !== 'string')
      throw new TypeError(`${name}: type must be a string, got ${typeName(type)}`);
    extra.push('TYPE', type);
  }
  // Duck-typed, as @x/conn does: a signal from another realm or a polyfill is welcome.
  const { addEventListener, aborted } = (signal ?? {}) as Partial<AbortSignal>;
  if (
    signal !== undefined &&
    (typeof addEventListener !== 'function' || typeof aborted !== 'boolean')
  )
    throw new TypeError(`${name}: signal must be an AbortSignal, got ${typeName(signal)}`);
  return { extra, signal: signal as AbortSignal | undefined };
}

/** Throws a TypeError unless `key` is a string or bytes. */
export function checkKey(key: unknown, name: string): asserts key is string | Uint8Array {
  if (typeof key !== 'string' && !(key instanceof Uint8Array))
    throw new TypeError(`${name}: key must be a string or bytes, got ${typeName(key)}`);
}
