import { type Arg, argToWire } from '@x/resp';
import type { KeySpec } from './key-specs.js';

/**
 * KeyPlan is how keyIndexes finds one command's keys, worked out once when the table is built:
 * - `none`: the command takes no keys;
 * - `fixed`: keys at fixed `positions` (GET, SET, RENAME, OBJECT ENCODING), needing `reach` arguments;
 * - `specs`: walk the key specs (MSET, EVAL, XREAD, GEORADIUS, ZUNIONSTORE);
 * - `procedure`: the server distrusts the specs and so do we: code of our own (SORT, MIGRATE);
 * - `unknown`: keys cannot be found from the arguments alone.
 * Positions here are indexes into the arguments after the command name.
 */
export interface KeyPlan {
  readonly kind: 'none' | 'fixed' | 'specs' | 'procedure' | 'unknown';
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
}

type Procedure = (args: readonly Arg[]) => number[] | null;

// The commands whose specs the server marks `unknown` or `incomplete` and finds keys for with
// code (sortGetKeys, sortROGetKeys, migrateGetKeys in db.c), on the same rules.
const PROCEDURES: ReadonlyMap<string, Procedure> = new Map([
  ['sort', sortKeys],
  ['sort_ro', () => [0]],
  ['migrate', migrateKeys],
]);

/**
 * Works out a command's KeyPlan from its key specs; `complete` is false when the specs cannot
 * give every key (an `unknown` or `incomplete` spec, or movable keys on a server without specs).
 */
export function planKeys(name: string, specs: readonly KeySpec[], complete: boolean): KeyPlan {
  const procedure = PROCEDURES.get(name);
  if (procedure !== undefined)
    return { kind: 'procedure', positions: [], reach: 0, steps: [], procedure };
  if (!complete) return { kind: 'unknown', positions: [], reach: 0, steps: [], procedure };
  const steps = specs.map(toStep);
  if (steps.length === 0) return { kind: 'none', positions: [], reach: 0, steps, procedure };
  // Index begins with ranges of fixed length: positions known in advance.
  if (steps.every((step) => step.index > 0 && !step.keynum && step.lastKey >= 0)) {
    const positions: number[] = [];
    for (const step of steps) {
      for (let at = step.index; at <= step.index + step.lastKey; at += step.keyStep) {
        positions.push(at - 1);
      }
    }
    return { kind: 'fixed', positions, reach: Math.max(...positions) + 1, steps, procedure };
  }
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
  };
}

/** Finds the key positions in `args` by `plan`; see keyIndexes in command-table.ts. */
export function findKeys(plan: KeyPlan, args: readonly Arg[]): number[] | null {
  switch (plan.kind) {
    case 'fixed': {
      const reach = plan.reach;
      if (args.length < reach) return null;
      for (let index = 0; index < reach; index++) if (Array.isArray(args[index])) throw nested();
      return plan.positions.length === 1 ? [plan.positions[0]!] : plan.positions.slice();
    }
    case 'none':
      return [];
    case 'specs':
      checkFlat(args);
      return walkSteps(plan.steps, args);
    case 'procedure':
      checkFlat(args);
      return plan.procedure!(args);
    default:
      return null;
  }
}

/** The server's key-spec walk (getKeysUsingKeySpecs), over `args` without the command name. */
function walkSteps(steps: readonly SearchStep[], args: readonly Arg[]): number[] | null {
  const argc = args.length + 1;
  const keys: number[] = [];
  for (const step of steps) {
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
    // Backwards from the end (MIGRATE's KEYS).
    for (let at = argc + step.startFrom; at >= 1 && at < argc; at--) {
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
