import { type Arg, argToWire, type Reply } from '@x/resp';
import { integerOf, listOf, malformed, textOf } from './command-reply.js';
import { findKeys, type KeyPlan, planKeys, readKeys } from './key-indexes.js';
import { type KeySpec, legacyKeySpec, parseKeySpec } from './key-specs.js';

/** RequestPolicy is a command's `request_policy` tip: where a cluster client sends a keyless call. */
export type RequestPolicy = 'all_nodes' | 'all_shards' | 'multi_shard' | 'special';

/** ResponsePolicy is a command's `response_policy` tip: how the replies of several nodes combine. */
export type ResponsePolicy =
  | 'one_succeeded'
  | 'all_succeeded'
  | 'agg_logical_and'
  | 'agg_logical_or'
  | 'agg_min'
  | 'agg_max'
  | 'agg_sum'
  | 'special';

/** CommandInfo is what a CommandTable knows of one command or subcommand. */
export interface CommandInfo {
  /** Lower case, as the server names it; a subcommand as `container|sub` (`object|encoding`). */
  readonly name: string;
  /** The server's arity: the exact argument count with the name, or its negated minimum. */
  readonly arity: number;
  /** The server's command flags (`readonly`, `write`, `blocking`, `pubsub`, `admin`, `noscript`, ...). */
  readonly flags: ReadonlySet<string>;
  /** Flagged `readonly`: it changes nothing, so a retry after a lost reply is safe. */
  readonly readonly: boolean;
  /** Flagged `write`. */
  readonly write: boolean;
  /** Flagged `blocking`: it may wait (BLPOP, XREAD BLOCK, WAIT). */
  readonly blocking: boolean;
  /** Flagged `pubsub`. */
  readonly pubsub: boolean;
  /** Flagged `admin`. */
  readonly admin: boolean;
  /** Flagged `movablekeys`: key positions depend on the other arguments. */
  readonly movableKeys: boolean;
  /** The `request_policy` tip, or undefined for the default (by key, or any node when keyless). An unrecognised policy reads as `special`. */
  readonly requestPolicy: RequestPolicy | undefined;
  /** The `response_policy` tip, or undefined for the default. An unrecognised policy reads as `special`. */
  readonly responsePolicy: ResponsePolicy | undefined;
  /** Tipped `nondeterministic_output` or `nondeterministic_output_order`. */
  readonly nondeterministicOutput: boolean;
  /** Every command tip as the server sends it (`request_policy:all_shards`, ...). */
  readonly tips: readonly string[];
  /** The key specs; on a server older than 7.0, one made from the first/last/step triple, if any. */
  readonly keySpecs: readonly KeySpec[];
  /**
   * True when the positions keyIndexes reports are shard channels rather than keys (SPUBLISH,
   * SSUBSCRIBE, SUNSUBSCRIBE: every key spec is flagged `not_key`). They hash to slots as keys do.
   */
  readonly channelKeys: boolean;
  /** The subcommands by lower-case name (`encoding` for `object|encoding`), or undefined. */
  readonly subcommands: ReadonlyMap<string, CommandInfo> | undefined;
  /** Internal: how keyIndexes finds this command's keys, worked out once. */
  readonly keyPlan: KeyPlan;
}

/**
 * keyIndexes returns the indexes into `args` of every key of a call to `info`'s command, in the
 * order of its key specs (for every Redis 7.0 command that is argument order). `args` leaves out
 * the command name; for a subcommand `args[0]` is the subcommand. `args` must be flat (a nested
 * array would move positions): one is a TypeError. Keys are found as the server finds them
 * (COMMAND GETKEYS, cluster routing): by the key specs, and for SORT, SORT_RO and MIGRATE, whose
 * specs fall short, by the server's own rules.
 *
 * Returns `[]` when the call has no keys (PING, SUBSCRIBE, `EVAL s 0`, SUNSUBSCRIBE with no
 * channel). Returns `null` when its keys cannot be known: a key spec marked `unknown` or
 * `incomplete` with no rule of ours (a module's command, say), movable keys on a server without
 * key specs (before 7.0), or a malformed call (too few arguments, a key count that is not a
 * plain non-negative integer or runs past the end), which the server rejects when it runs it: a
 * router may send a null call to any node or refuse it. Shard channels count as keys (see
 * `channelKeys`).
 */
export function keyIndexes(info: CommandInfo, args: readonly Arg[]): number[] | null {
  return findKeys(info.keyPlan, args);
}

/** keyIndexes for a reader that does not change the result (it may be the table's own array). */
export function readKeyIndexes(info: CommandInfo, args: readonly Arg[]): readonly number[] | null {
  return readKeys(info.keyPlan, args);
}

// A bound on names cached in other cases than lower and upper: callers use only a few spellings.
const MAX_SPELLINGS = 512;

/**
 * CommandTable describes the commands of one server, from its own `COMMAND` reply, so that a
 * cluster client can find keys and routing tips for any call without a hand-kept list.
 */
export class CommandTable {
  readonly #commands: readonly CommandInfo[];
  readonly #byName = new Map<string, CommandInfo>();
  readonly #subcommands = new Map<CommandInfo, Map<string, CommandInfo>>();
  #spellings = 0;

  private constructor(commands: readonly CommandInfo[]) {
    this.#commands = commands;
    for (const info of commands) {
      addSpellings(this.#byName, info.name, info);
      if (info.subcommands === undefined) continue;
      const byName = new Map<string, CommandInfo>();
      for (const [name, sub] of info.subcommands) addSpellings(byName, name, sub);
      this.#subcommands.set(info, byName);
    }
  }

  /**
   * Builds a table from a `COMMAND` (or `COMMAND INFO ...`) reply, RESP2 or RESP3; null entries
   * (commands COMMAND INFO did not know) are skipped. Throws a TypeError for another shape.
   */
  static fromReply(reply: Reply): CommandTable {
    const commands: CommandInfo[] = [];
    for (const entry of listOf(reply, 'the reply')) {
      if (entry !== null) commands.push(parseCommand(entry));
    }
    return new CommandTable(commands);
  }

  /** The number of (top-level) commands. */
  get size(): number {
    return this.#commands.length;
  }

  /** The top-level commands, in the server's order. */
  commands(): IterableIterator<CommandInfo> {
    return this.#commands.values();
  }

  /** The command or subcommand of that full name (`get`, `object|encoding`) in any case. */
  get(name: string): CommandInfo | undefined {
    const bar = name.indexOf('|');
    if (bar === -1) return this.#find(this.#byName, name);
    const container = this.#find(this.#byName, name.slice(0, bar));
    const byName = container && this.#subcommands.get(container);
    return byName && this.#find(byName, name.slice(bar + 1));
  }

  /**
   * Finds the command a call runs, in any case: for a container command (OBJECT, XINFO, MEMORY)
   * the subcommand named by `args[0]`, or the container itself when `args` is empty.
   * Undefined when the command, or the subcommand `args[0]` names, is not in the table.
   */
  lookup(command: string, args: readonly Arg[]): CommandInfo | undefined {
    const info = this.#byName.get(command) ?? this.#find(this.#byName, command);
    if (info === undefined || info.subcommands === undefined || args.length === 0) return info;
    const byName = this.#subcommands.get(info)!;
    const sub = args[0];
    if (typeof sub === 'string') return byName.get(sub) ?? this.#find(byName, sub);
    if (sub === undefined || Array.isArray(sub)) return undefined;
    const wire = argToWire(sub);
    return this.#find(byName, typeof wire === 'string' ? wire : Buffer.from(wire).toString());
  }

  /** A miss in `byName`: lower-case the name and remember this spelling, up to a bound. */
  #find(byName: Map<string, CommandInfo>, name: string): CommandInfo | undefined {
    const found = byName.get(name) ?? byName.get(name.toLowerCase());
    if (found !== undefined && !byName.has(name) && this.#spellings < MAX_SPELLINGS) {
      this.#spellings++;
      byName.set(name, found);
    }
    return found;
  }
}

function addSpellings(byName: Map<string, CommandInfo>, name: string, info: CommandInfo): void {
  byName.set(name, info);
  byName.set(name.toUpperCase(), info);
}

const REQUEST_POLICIES = new Set<string>(['all_nodes', 'all_shards', 'multi_shard', 'special']);
const RESPONSE_POLICIES = new Set<string>([
  'one_succeeded',
  'all_succeeded',
  'agg_logical_and',
  'agg_logical_or',
  'agg_min',
  'agg_max',
  'agg_sum',
  'special',
]);

/**
 * One command entry: [name, arity, flags, first key, last key, step, ACL categories, tips,
 * key specs, subcommands]; servers before 7.0 send only the first six or seven.
 */
function parseCommand(entry: Reply): CommandInfo {
  const fields = listOf(entry, 'a command entry');
  if (fields.length < 6) throw malformed('a command entry has fewer than 6 fields');
  const name = textOf(fields[0], 'a command name').toLowerCase();
  const flags = new Set(listOf(fields[2], `${name} flags`).map((flag) => textOf(flag, 'a flag')));
  const tips = listOf(fields[7], `${name} tips`).map((tip) => textOf(tip, 'a tip'));
  let keySpecs: readonly KeySpec[];
  if (fields.length >= 9) {
    keySpecs = listOf(fields[8], `${name} key specs`).map(parseKeySpec);
  } else {
    // Before 7.0: the first/last/step triple, which cannot describe movable keys.
    const first = integerOf(fields[3], `${name} first key`);
    const last = integerOf(fields[4], `${name} last key`);
    const step = integerOf(fields[5], `${name} step`);
    keySpecs =
      first > 0 && step > 0 && !flags.has('movablekeys') ? [legacyKeySpec(first, last, step)] : [];
  }
  const entries = listOf(fields[9], `${name} subcommands`);
  let subcommands: Map<string, CommandInfo> | undefined;
  if (entries.length > 0) {
    subcommands = new Map();
    for (const subEntry of entries) {
      const sub = parseCommand(subEntry);
      subcommands.set(sub.name.slice(sub.name.indexOf('|') + 1), sub);
    }
  }
  return {
    name,
    arity: integerOf(fields[1], `${name} arity`),
    flags,
    readonly: flags.has('readonly'),
    write: flags.has('write'),
    blocking: flags.has('blocking'),
    pubsub: flags.has('pubsub'),
    admin: flags.has('admin'),
    movableKeys: flags.has('movablekeys'),
    requestPolicy: policy(tips, 'request_policy:', REQUEST_POLICIES) as RequestPolicy | undefined,
    responsePolicy: policy(tips, 'response_policy:', RESPONSE_POLICIES) as
      | ResponsePolicy
      | undefined,
    nondeterministicOutput: tips.some((tip) => tip.startsWith('nondeterministic_output')),
    tips,
    keySpecs,
    channelKeys: keySpecs.length > 0 && keySpecs.every((spec) => spec.flags.has('not_key')),
    subcommands,
    keyPlan: planKeys(name, keySpecs, flags.has('movablekeys')),
  };
}

function policy(tips: readonly string[], prefix: string, known: ReadonlySet<string>) {
  const tip = tips.find((candidate) => candidate.startsWith(prefix));
  if (tip === undefined) return undefined;
  const value = tip.slice(prefix.length);
  return known.has(value) ? value : 'special';
}
