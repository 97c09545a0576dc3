import { type Arg, argToWire } from '@x/resp';
import type { KeySpec } from './key-specs.js';

/**
 * KeyPlan is how keyIndexes finds one command's keys, worked out once when the table is built:
 * - `none`: the command takes no keys;
 * - `fixed`: keys at fixed `positions` (GET, SET, RENAME, OBJECT ENCODING), needing `reach` arguments;
 * - `tail`: one spec, keys from an index to near the end (MSET, MGET, DEL, BLPOP): `steps[0]`;
 * - `specs`: walk the key specs as the server does (EVAL, XREAD, GEORADIUS, ZUNIONSTORE, SORT);
 *   when the walk reaches a spec the server distrusts (`unknown`, or `incomplete` once it
 *   matched), the server runs code of its own instead, and so do we: `procedure`, or null;
 * - `procedure`: no key specs (a server before 7.0) but a procedure of ours;
 * - `unknown`: movable keys and no key specs: keys cannot be found.
 * Positions here are indexes into the arguments after the command name.
 */
export interface KeyPlan {
  readonly kind: 'none' | 'fixed' | 'tail' | 'specs' | 'procedure' | 'unknown';
  readonly positions: readonly number[];
  readonly reach: number;
  readonly steps: readonly SearchStep[];
  readonly procedure: Procedure | undefined;
}

/** A key spec flattened into one shape (argument indexes counting the command name as 0). */
interface SearchStep {
  /** The argument index to start at, or 0 to search for `keyword`. */
  readonly index: number;
  readonly keyword: string;
  readonly startFrom: number;
  readonly keynum: boolean;
  /** range: the last key (relative when >= 0); keynum: the index of the key count. */
  readonly lastKey: number;
  readonly limit: number;
  readonly firstKey: number;
  readonly keyStep: number;
  /** An `unknown` begin_search or find_keys: the server gives up on the specs here. */
  readonly unknown: boolean;
  /** Flagged `incomplete`: the server gives up on the specs if this one matches. */
  readonly incomplete: boolean;
}

type Procedure = (args: readonly Arg[]) => number[] | null;

// The commands for which the server's specs can fall short and it finds keys with code
// (sortGetKeys, sortROGetKeys, migrateGetKeys in db.c), on the same rules.
const PROCEDURES: ReadonlyMap<string, Procedure> = new Map([
  ['sort', sortKeys],
  ['sort_ro', () => [0]],
  ['migrate', migrateKeys],
]);

/**
 * Works out a command's KeyPlan from its key specs; `movable` says that the keys move and
 * there are no specs to find them (a server before 7.0).
 */
export function planKeys(name: string, specs: readonly KeySpec[], movable: boolean): KeyPlan {
  const procedure = PROCEDURES.get(name);
  const steps = specs.map(toStep);
  if (steps.length === 0) {
    const kind = procedure ? 'procedure' : movable ? 'unknown' : 'none';
    return { kind, positions: [], reach: 0, steps, procedure };
  }
  // Index begins with ranges of fixed length: positions known in advance.
  const fixed = (step: SearchStep) =>
    step.index > 0 && !step.keynum && step.lastKey >= 0 && !step.unknown && !step.incomplete;
  if (steps.every(fixed)) {
    const positions: number[] = [];
    for (const step of steps) {
      for (let at = step.index; at <= step.index + step.lastKey; at += step.keyStep) {
        positions.push(at - 1);
      }
    }
    // Frozen: readKeys hands this very array to the router on every call.
    Object.freeze(positions);
    return { kind: 'fixed', positions, reach: Math.max(...positions) + 1, steps, procedure };
  }
  const only = steps[0]!;
  if (
    steps.length === 1 &&
    only.index > 0 &&
    !only.keynum &&
    only.lastKey < 0 &&
    only.limit === 0 &&
    !only.unknown &&
    !only.incomplete
  )
    return { kind: 'tail', positions: [], reach: 0, steps, procedure };
  return { kind: 'specs', positions: [], reach: 0, steps, procedure };
}

function toStep(spec: KeySpec): SearchStep {
  const begin = spec.beginSearch;
  const find = spec.findKeys;
  const keynum = find.type === 'keynum';
  return {
    index: begin.type === 'index' ? begin.index : 0,
    keyword: begin.type === 'keyword' ? begin.keyword : '',
    startFrom: begin.type === 'keyword' ? begin.startFrom : 0,
    keynum,
    lastKey: find.type === 'range' ? find.lastKey : keynum ? find.keyNumIndex : 0,
    limit: find.type === 'range' ? find.limit : 0,
    firstKey: keynum ? find.firstKey : 0,
    keyStep: find.type === 'unknown' ? 1 : find.keyStep,
    unknown: begin.type === 'unknown' || find.type === 'unknown',
    incomplete: spec.flags.has('incomplete'),
  };
}

/** Finds the key positions in `args` by `plan`; see keyIndexes in command-table.ts. */
export function findKeys(plan: KeyPlan, args: readonly Arg[]): number[] | null {
  if (plan.kind !== 'fixed') return findMovingKeys(plan, args);
  const positions = sharedKeys(plan, args);
  return positions === null ? null : positions.slice();
}

/**
 * findKeys for readers that only read the result: commands with keys at fixed positions (GET,
 * SET, HSET, …) get the plan's own array, nothing allocated. The router's hot path.
 */
export function readKeys(plan: KeyPlan, args: readonly Arg[]): readonly number[] | null {
  return plan.kind === 'fixed' ? sharedKeys(plan, args) : findMovingKeys(plan, args);
}

function sharedKeys(plan: KeyPlan, args: readonly Arg[]): readonly number[] | null {
  const reach = plan.reach;
  if (args.length < reach) return null;
  for (let index = 0; index < reach; index++) if (Array.isArray(args[index])) throw nested();
  return plan.positions;
}

function findMovingKeys(plan: KeyPlan, args: readonly Arg[]): number[] | null {
  switch (plan.kind) {
    case 'none':
      return [];
    case 'tail': {
      // The one range of walkSteps below, without its generality.
      checkFlat(args);
      const step = plan.steps[0]!;
      const keys: number[] = [];
      const last = args.length + step.lastKey;
      for (let at = step.index - 1; at <= last; at += step.keyStep) keys.push(at);
      return keys;
    }
    case 'specs': {
      checkFlat(args);
      const keys = walkSteps(plan.steps, args);
      if (keys !== undefined) return keys;
      return plan.procedure ? plan.procedure(args) : null;
    }
    case 'procedure':
      checkFlat(args);
      return plan.procedure!(args);
    default:
      return null;
  }
}

/**
 * The server's key-spec walk (getKeysUsingKeySpecs), over `args` without the command name:
 * the key positions, null for a malformed call, undefined when it reached a distrusted spec.
 */
function walkSteps(
  steps: readonly SearchStep[],
  args: readonly Arg[],
): number[] | null | undefined {
  const argc = args.length + 1;
  const keys: number[] = [];
  for (const step of steps) {
    if (step.unknown) return undefined;
    let first = step.index;
    if (first === 0) {
      first = keywordEnd(step, args);
      if (first === 0) continue;
    }
    let last: number;
    if (step.keynum) {
      const countAt = first + step.lastKey;
      if (countAt >= argc) return null;
      const count = keyCount(args[countAt - 1]);
      // A key count of 0 is no keys (EVAL s 0); a bad one is a malformed command.
      if (count < 0 || count > argc) return null;
      if (count === 0) continue;
      first += step.firstKey;
      last = first + count - 1;
      if (last >= argc) return null;
    } else if (step.lastKey >= 0) {
      last = first + step.lastKey;
      if (last >= argc) return null;
    } else {
      last =
        step.limit === 0
          ? argc + step.lastKey
          : first + Math.floor((argc - first) / step.limit) + step.lastKey;
      // "To the end" with nothing left (PFMERGE dest): no keys here, not an error.
      if (last < first) continue;
    }
    if (step.incomplete) return undefined;
    for (let at = first; at <= last; at += step.keyStep) keys.push(at - 1);
  }
  return keys;
}

/** The argument index after the step's keyword, or 0 when it is not there. */
function keywordEnd(step: SearchStep, args: readonly Arg[]): number {
  const argc = args.length + 1;
  if (step.startFrom > 0) {
    // Forwards, and never at the last argument: no key could follow it.
    for (let at = step.startFrom; at < argc - 1; at++) {
      if (isWord(args[at - 1], step.keyword)) return at + 1;
    }
  } else {
    // Backwards from the end (MIGRATE's KEYS), down to argument 2 as the server searches.
    for (let at = argc + step.startFrom; at > 1 && at < argc; at--) {
      if (isWord(args[at - 1], step.keyword)) return at + 1;
    }
  }
  return 0;
}

/** Whether an argument spells `word` (upper-case ASCII) in any case. */
export function isWord(arg: Arg | undefined, word: string): boolean {
  if (typeof arg === 'string') {
    if (arg.length !== word.length) return false;
    for (let index = 0; index < word.length; index++) {
      const code = arg.charCodeAt(index);
      if ((code >= 0x61 && code <= 0x7a ? code - 0x20 : code) !== word.charCodeAt(index)) {
        return false;
      }
    }
    return true;
  }
  if (arg instanceof Uint8Array) {
    if (arg.length !== word.length) return false;
    for (let index = 0; index < word.length; index++) {
      const code = arg[index]!;
      if ((code >= 0x61 && code <= 0x7a ? code - 0x20 : code) !== word.charCodeAt(index)) {
        return false;
      }
    }
    return true;
  }
  if (arg === undefined || Array.isArray(arg)) return false;
  return isWord(argToWire(arg), word);
}

/** A key count as the server parses it (string2ll, not negative), or -1. */
function keyCount(arg: Arg | undefined): number {
  if (typeof arg === 'number') return Number.isSafeInteger(arg) && arg >= 0 ? arg : -1;
  if (typeof arg === 'bigint') return arg >= 0n ? Number(arg) : -1;
  const text = arg === undefined || Array.isArray(arg) ? '' : argToWire(arg);
  const length = text.length;
  // Decimal without sign, spaces or leading zeros; longer than 15 digits is more than any argc.
  if (length === 0 || length > 15) return -1;
  let count = 0;
  for (let index = 0; index < length; index++) {
    const digit = (typeof text === 'string' ? text.charCodeAt(index) : text[index]!) - 0x30;
    if (digit < 0 || digit > 9 || (digit === 0 && index === 0 && length > 1)) return -1;
    count = count * 10 + digit;
  }
  return count;
}

/** SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dest]: the key, then the last STORE's. */
function sortKeys(args: readonly Arg[]): number[] {
  let store = -1;
  for (let at = 1; at < args.length; at++) {
    const arg = args[at];
    if (isWord(arg, 'LIMIT')) at += 2;
    else if (isWord(arg, 'STORE') && at + 1 < args.length) store = at + 1;
    else if (isWord(arg, 'GET') || isWord(arg, 'BY')) at += 1;
  }
  return store === -1 ? [0] : [0, store];
}

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key ...]:
 * the key, or with an empty key the keys after KEYS. KEYS with a key is malformed (null).
 */
function migrateKeys(args: readonly Arg[]): number[] | null {
  for (let at = 5; at < args.length; at++) {
    const arg = args[at];
    if (isWord(arg, 'KEYS')) {
      if (argToWire(args[2] as Arg).length > 0) return null;
      const keys: number[] = [];
      for (let key = at + 1; key < args.length; key++) keys.push(key);
      return keys;
    }
    if (isWord(arg, 'AUTH')) at += 1;
    else if (isWord(arg, 'AUTH2')) at += 2;
  }
  return args.length > 2 ? [2] : null;
}

function checkFlat(args: readonly Arg[]): void {
  for (let index = 0; index < args.length; index++) if (Array.isArray(args[index])) throw nested();
}

function nested(): TypeError {
  return new TypeError(
    'keyIndexes: arguments must be flat (flatten arrays first, as commandToWire does), or positions would be wrong',
  );
}
