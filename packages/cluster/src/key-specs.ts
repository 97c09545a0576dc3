import type { Reply } from '@x/resp';
import { fieldsOf, integerOf, textOf } from './command-reply.js';

/** BeginSearch says where a key spec starts looking: an argument index or after a keyword. */
export type BeginSearch =
  | { readonly type: 'index'; readonly index: number }
  | {
      readonly type: 'keyword';
      /** Upper case, matched without regard to case. */
      readonly keyword: string;
      /** Where the search starts; a negative index counts from the end and searches backwards. */
      readonly startFrom: number;
    }
  | { readonly type: 'unknown' };

/** FindKeys says which arguments, from where the search began, are keys. */
export type FindKeys =
  | {
      readonly type: 'range';
      /** The last key relative to the first, or from the end of the arguments when negative. */
      readonly lastKey: number;
      readonly keyStep: number;
      /** With `lastKey: -1`: only the first 1/limit of the remaining arguments are keys. */
      readonly limit: number;
    }
  | {
      readonly type: 'keynum';
      /** The argument holding the number of keys, relative to the first. */
      readonly keyNumIndex: number;
      /** The first key, relative to the first argument. */
      readonly firstKey: number;
      readonly keyStep: number;
    }
  | { readonly type: 'unknown' };

/**
 * KeySpec is one of a command's key specifications as the server describes it (Redis 7.0
 * "key specs"). Indexes count the command name as argument 0, as the server does.
 */
export interface KeySpec {
  /** `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `not_key`, `incomplete`, ... */
  readonly flags: ReadonlySet<string>;
  readonly beginSearch: BeginSearch;
  readonly findKeys: FindKeys;
}

/** Parses one key spec of a COMMAND reply (a RESP2 flat array or a RESP3 map). */
export function parseKeySpec(reply: Reply): KeySpec {
  const fields = fieldsOf(reply, 'key spec');
  const flagList = fields.get('flags');
  const flags = new Set<string>();
  if (Array.isArray(flagList)) for (const flag of flagList) flags.add(textOf(flag, 'key flag'));
  return {
    flags,
    beginSearch: parseBeginSearch(fieldsOf(fields.get('begin_search'), 'begin_search')),
    findKeys: parseFindKeys(fieldsOf(fields.get('find_keys'), 'find_keys')),
  };
}

function parseBeginSearch(search: Map<string, Reply>): BeginSearch {
  const spec = fieldsOf(search.get('spec'), 'begin_search spec');
  switch (textOf(search.get('type'), 'begin_search type')) {
    case 'index': {
      const index = integerOf(spec.get('index'), 'begin_search index');
      return index >= 1 ? { type: 'index', index } : { type: 'unknown' };
    }
    case 'keyword':
      return {
        type: 'keyword',
        keyword: textOf(spec.get('keyword'), 'begin_search keyword').toUpperCase(),
        startFrom: integerOf(spec.get('startfrom'), 'begin_search startfrom'),
      };
    default:
      return { type: 'unknown' };
  }
}

function parseFindKeys(find: Map<string, Reply>): FindKeys {
  const spec = fieldsOf(find.get('spec'), 'find_keys spec');
  switch (textOf(find.get('type'), 'find_keys type')) {
    case 'range': {
      const keyStep = integerOf(spec.get('keystep'), 'find_keys keystep');
      const limit = integerOf(spec.get('limit'), 'find_keys limit');
      if (keyStep < 1 || limit < 0) return { type: 'unknown' };
      return { type: 'range', lastKey: integerOf(spec.get('lastkey'), 'lastkey'), keyStep, limit };
    }
    case 'keynum': {
      const keyStep = integerOf(spec.get('keystep'), 'find_keys keystep');
      if (keyStep < 1) return { type: 'unknown' };
      return {
        type: 'keynum',
        keyNumIndex: integerOf(spec.get('keynumidx'), 'find_keys keynumidx'),
        firstKey: integerOf(spec.get('firstkey'), 'find_keys firstkey'),
        keyStep,
      };
    }
    default:
      return { type: 'unknown' };
  }
}

/** The key spec that stands for a pre-7.0 server's first/last/step triple. */
export function legacyKeySpec(firstKey: number, lastKey: number, step: number): KeySpec {
  return {
    flags: new Set(),
    beginSearch: { type: 'index', index: firstKey },
    findKeys: {
      type: 'range',
      lastKey: lastKey < 0 ? lastKey : lastKey - firstKey,
      keyStep: step,
      limit: 0,
    },
  };
}
