import { type Reply, ReplyError } from '@x/resp';
import { toPairs, toValues } from './collections.js';
import { NilError, ReplyTypeError } from './errors.js';
import { type Helper, helper } from './helper.js';

/**
 * Converter turns one reply element into a value: a helper such as `int`, any function of a
 * reply, or an object with `fromRedis` (Redigo's Scanner).
 */
export type Converter<T = unknown> = ((value: Reply) => T) | { fromRedis(value: Reply): T };

/** The value type a converter produces. */
export type Converted<C> = C extends { fromRedis(value: Reply): infer T }
  ? T
  : C extends (value: Reply) => infer T
    ? T
    : never;

/** A tuple schema's result type. */
export type TupleOf<S extends readonly Converter[]> = { -readonly [K in keyof S]: Converted<S[K]> };
/** An object schema's result type. */
export type StructOf<S extends Record<string, Converter>> = {
  -readonly [K in keyof S]: Converted<S[K]>;
};

const optionalMark = Symbol('optional');

interface FieldOptions {
  readonly redisName?: string;
  readonly [optionalMark]?: true;
}

function apply<T>(converter: Converter<T>, value: Reply): T {
  if (value instanceof ReplyError) throw value;
  return typeof converter === 'function' ? converter(value) : converter.fromRedis(value);
}

/**
 * optional lets a reply, a field or an element be nil (or missing, in scanStruct): it becomes
 * null. Like every helper it takes a reply or a promise of one, so a read of a key that may be
 * missing is one step: `await optional(string)(conn.do('GET', key))` is `string | null`.
 */
export function optional<T>(converter: Converter<T>): Helper<T | null> & FieldOptions {
  const convert = helper((value) => (value === null ? null : apply(converter, value)));
  return Object.assign(convert, { [optionalMark]: true as const });
}

/** Reads a scanStruct field from a differently named Redis field (Redigo's `redis:"name"` tag). */
export function field<T>(
  redisName: string,
  converter: Converter<T>,
): ((value: Reply) => T) & FieldOptions {
  const options = typeof converter === 'function' ? (converter as FieldOptions) : {};
  const convert = (value: Reply) => apply(converter, value);
  return Object.assign(convert, {
    redisName,
    ...(options[optionalMark] ? { [optionalMark]: true as const } : {}),
  });
}

type MaybePromise<R, T> = R extends PromiseLike<Reply> ? Promise<T> : T;

function resolveThen<R extends Reply | PromiseLike<Reply>, T>(
  reply: R,
  convert: (reply: Reply) => T,
): MaybePromise<R, T> {
  if (
    typeof reply === 'object' &&
    reply !== null &&
    typeof (reply as PromiseLike<Reply>).then === 'function'
  ) {
    return Promise.resolve(reply as PromiseLike<Reply>).then(convert) as MaybePromise<R, T>;
  }
  if (reply instanceof ReplyError) throw reply;
  return convert(reply as Reply) as MaybePromise<R, T>;
}

/** scan converts an array reply's elements into a typed tuple: `scan(reply, [string, int])`. */
export function scan<const S extends readonly Converter[], R extends Reply | PromiseLike<Reply>>(
  reply: R,
  schema: S,
): MaybePromise<R, TupleOf<S>> {
  return resolveThen(reply, (value) => scanTuple(value, schema, 'scan'));
}

function scanTuple<S extends readonly Converter[]>(
  reply: Reply,
  schema: S,
  name: string,
): TupleOf<S> {
  const elements = toValues(reply, name);
  if (elements.length < schema.length) {
    throw new ReplyTypeError(name, `at least ${schema.length} elements`, reply);
  }
  return schema.map((converter, index) => apply(converter, elements[index]!)) as TupleOf<S>;
}

/**
 * scanStruct converts field/value pairs (HGETALL, CONFIG GET; RESP2 arrays or RESP3 maps) into a
 * typed object. Fields the schema does not name are ignored; a missing field is a NilError unless
 * the schema marks it `optional`.
 */
export function scanStruct<
  const S extends Record<string, Converter>,
  R extends Reply | PromiseLike<Reply>,
>(reply: R, schema: S): MaybePromise<R, StructOf<S>> {
  return resolveThen(reply, (value) => scanObject(value, schema));
}

function scanObject<S extends Record<string, Converter>>(reply: Reply, schema: S): StructOf<S> {
  const received = new Map(toPairs(reply, 'scanStruct'));
  const result: Record<string, unknown> = {};
  for (const [key, converter] of Object.entries(schema)) {
    const options = converter as FieldOptions;
    const value = received.get(options.redisName ?? key);
    if (value === undefined && !options[optionalMark])
      throw new NilError(`scanStruct field "${key}"`);
    result[key] = apply(converter, value ?? null);
  }
  return result as StructOf<S>;
}

/**
 * scanSlice converts a flat reply (SORT ... GET, or LRANGE of interleaved values) into an array of
 * tuples (a tuple schema) or objects (an object schema, its fields taken in `fields` order).
 */
export function scanSlice<
  const S extends readonly Converter[],
  R extends Reply | PromiseLike<Reply>,
>(reply: R, schema: S): MaybePromise<R, TupleOf<S>[]>;
export function scanSlice<
  const S extends Record<string, Converter>,
  R extends Reply | PromiseLike<Reply>,
>(reply: R, schema: S, fields?: readonly (keyof S & string)[]): MaybePromise<R, StructOf<S>[]>;
export function scanSlice(
  reply: Reply | PromiseLike<Reply>,
  schema: readonly Converter[] | Record<string, Converter>,
  fields?: readonly string[],
): unknown {
  return resolveThen(reply, (value) => {
    const elements = toValues(value, 'scanSlice');
    const names = Array.isArray(schema) ? undefined : (fields ?? Object.keys(schema));
    const width = names === undefined ? (schema as readonly Converter[]).length : names.length;
    if (width === 0 || elements.length % width !== 0) {
      throw new ReplyTypeError('scanSlice', `a multiple of ${width} elements`, value);
    }
    const rows: unknown[] = [];
    for (let start = 0; start < elements.length; start += width) {
      const row = elements.slice(start, start + width);
      if (names === undefined) {
        rows.push(
          (schema as readonly Converter[]).map((converter, index) => apply(converter, row[index]!)),
        );
      } else {
        const object: Record<string, unknown> = {};
        const converters = schema as Record<string, Converter>;
        names.forEach((name, index) => {
          const converter = converters[name];
          if (converter === undefined)
            throw new TypeError(`scanSlice: no converter for field "${name}"`);
          object[name] = apply(converter, row[index]!);
        });
        rows.push(object);
      }
    }
    return rows;
  });
}

/** A converter for a nested array, for use inside another schema. */
export function tuple<const S extends readonly Converter[]>(
  schema: S,
): (value: Reply) => TupleOf<S> {
  return (value) => scanTuple(value, schema, 'tuple');
}

/** A converter for nested field/value pairs, for use inside another schema. */
export function struct<const S extends Record<string, Converter>>(
  schema: S,
): (value: Reply) => StructOf<S> {
  return (value) => scanObject(value, schema);
}
