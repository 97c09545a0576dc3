import { ReplyError } from '@x/resp';
import { CommandKind } from './command-kind.js';

/** What traces and logs show instead of an argument or a reply that may hold a password. */
export const redactedReply = '?';

const secretCommands = new Set(['AUTH', 'HELLO', 'MIGRATE', 'ACL', 'CONFIG']);

// SENTINEL SET <master> auth-pass <pw>, SENTINEL CONFIG SET sentinel-pass <pw> (and GET's reply).
const secretSentinelSubcommands = new Set(['SET', 'CONFIG']);

/** The first word sent after SENTINEL: an array argument is sent flattened, so look inside it. */
function sentinelSubcommand(args: readonly unknown[]): string {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  return first === undefined ? '' : asText(first).toUpperCase();
}

/** Reports whether a command's arguments may hold a password. */
export function isSecretCommand(command: string, args: readonly unknown[] = []): boolean {
  const name = command.toUpperCase();
  if (name === 'SENTINEL') return secretSentinelSubcommands.has(sentinelSubcommand(args));
  return secretCommands.has(name);
}

/** Reports whether a command's reply may hold a password: CONFIG, ACL and SENTINEL CONFIG. */
export function hidesReply(command: string, args: readonly unknown[] = []): boolean {
  const name = command.toUpperCase();
  if (name === 'SENTINEL') return sentinelSubcommand(args) === 'CONFIG';
  return name === 'CONFIG' || name === 'ACL';
}

/** Replaces arguments that may hold a password with '?', so traces and logs never show one. */
export function redactArgs(command: string, args: readonly unknown[]): readonly unknown[] {
  return isSecretCommand(command, args) ? args.map(() => redactedReply) : args;
}

/**
 * The arguments of a secret command that may be a password or a username, found by their
 * position in the command's syntax, never by what they say: a password may well be "on" or "3".
 * An argument the syntax does not explain counts as a secret.
 */
export function secretArgs(command: string, args: readonly unknown[]): string[] {
  const words = args.flatMap((arg) => (Array.isArray(arg) ? arg.map(asText) : [asText(arg)]));
  switch (command.toUpperCase()) {
    case 'AUTH':
      return words;
    case 'HELLO':
      return helloSecrets(words);
    case 'ACL':
      return aclSecrets(words);
    case 'CONFIG':
      return configSecrets(words);
    case 'MIGRATE':
      return migrateSecrets(words);
    case 'SENTINEL':
      // SENTINEL SET <master> option value ..., SENTINEL CONFIG SET option value ...: every value.
      return sentinelSubcommand(args) === 'SET'
        ? words.slice(2).filter((_, index) => index % 2 === 1)
        : configSecrets(words.slice(1));
    default:
      return [];
  }
}

// HELLO protover [AUTH username password] [SETNAME clientname]
function helloSecrets(words: string[]): string[] {
  const secrets = /^\d+$/.test(words[0] ?? '') ? [] : words.slice(0, 1);
  for (let index = 1; index < words.length; ) {
    const option = words[index]!.toUpperCase();
    if (option === 'AUTH') {
      secrets.push(...words.slice(index + 1, index + 3));
      index += 3;
    } else if (option === 'SETNAME') {
      index += 2;
    } else {
      secrets.push(words[index++]!);
    }
  }
  return secrets;
}

const aclWithoutSecrets = new Set([
  ...['CAT', 'DELUSER', 'GENPASS', 'GETUSER', 'HELP', 'LIST', 'LOAD', 'LOG', 'SAVE', 'USERS'],
  'WHOAMI',
]);

// ACL SETUSER username [rule ...]: every rule, since a password whose '>' was forgotten is
// echoed back as a bad rule. ACL DRYRUN username command [arg ...] may try out AUTH.
function aclSecrets(words: string[]): string[] {
  const subcommand = words[0]?.toUpperCase() ?? '';
  if (subcommand === 'SETUSER' || subcommand === 'DRYRUN')
    return words.slice(2).flatMap((rule) => (/^[<>]/.test(rule) ? [rule, rule.slice(1)] : [rule]));
  return aclWithoutSecrets.has(subcommand) ? [] : words;
}

// CONFIG SET parameter value [parameter value ...]
function configSecrets(words: string[]): string[] {
  const subcommand = words[0]?.toUpperCase() ?? '';
  if (subcommand === 'SET') {
    const pairs = words.slice(1);
    return pairs.length % 2 === 0 ? pairs.filter((_, index) => index % 2 === 1) : pairs;
  }
  return ['GET', 'HELP', 'RESETSTAT', 'REWRITE'].includes(subcommand) ? [] : words;
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password]
// [KEYS key ...]
function migrateSecrets(words: string[]): string[] {
  const secrets: string[] = [];
  for (let index = 5; index < words.length; ) {
    const option = words[index]!.toUpperCase();
    if (option === 'KEYS') break;
    if (option === 'COPY' || option === 'REPLACE') {
      index++;
    } else if (option === 'AUTH' || option === 'AUTH2') {
      const values = option === 'AUTH' ? 1 : 2;
      secrets.push(...words.slice(index + 1, index + 1 + values));
      index += 1 + values;
    } else {
      secrets.push(words[index++]!);
    }
  }
  return secrets;
}

/**
 * An error of a secret command with every secret argument it echoes replaced by '?': a server
 * without HELLO answers "unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'user' 'pw'".
 */
export function redactError(command: string, args: readonly unknown[], error: unknown): unknown {
  if (!isSecretCommand(command, args) || !(error instanceof ReplyError)) return error;
  const redacted = redactText(error.message, secretArgs(command, args));
  return redacted === error.message ? error : new ReplyError(redacted);
}

const echoedArgs = 'with args beginning with:';
// Redis cuts what it echoes of an argument at 128 bytes ('%.128s').
const ECHO_LIMIT_BYTES = 128;

/**
 * `text`, a server's error about a secret command, with every occurrence of each secret replaced
 * by '?', and the arguments an unknown command echoes dropped: that list is cut at 128 bytes,
 * possibly inside a password, whose head then no longer matches it.
 */
export function redactText(text: string, secrets: readonly unknown[]): string {
  const cut = text.indexOf(echoedArgs);
  let redacted = cut < 0 ? text : `${text.slice(0, cut + echoedArgs.length)} ${redactedReply}`;
  for (const secret of secrets) {
    if (secret === undefined || secret === null) continue;
    const value = asText(secret);
    if (value === '') continue;
    const head = Buffer.from(value).subarray(0, ECHO_LIMIT_BYTES).toString();
    for (const part of [value, head]) redacted = redacted.split(part).join(redactedReply);
  }
  return redacted;
}

function asText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Uint8Array)
    return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString();
  return String(arg);
}

/** How traces and logs show one command's outcome so that it holds no password. */
export interface Redaction {
  /** The reply as traces and logs may show it. */
  reply(reply: unknown): unknown;
  /** The failure as traces and logs may show it. */
  error(error: unknown): unknown;
}

/** The outcome of a command without secrets, shown as it is. */
export const showAll: Redaction = { reply: (reply) => reply, error: (error) => error };

/** How to show the outcome of `command`: a secret command's reply hidden, its errors redacted. */
export function commandRedaction(command: string, args: readonly unknown[]): Redaction {
  if (!isSecretCommand(command, args)) return showAll;
  const hides = hidesReply(command, args);
  return {
    reply: (reply) => (hides ? redactedReply : reply),
    error: (error) => redactError(command, args, error),
  };
}

/** `value` as `redaction` shows it: an error reply among replies is an error. */
export function redactValue(redaction: Redaction, value: unknown): unknown {
  return value instanceof ReplyError ? redaction.error(value) : redaction.reply(value);
}

/** How EXEC's reply is shown: to traces and logs, and to its caller. */
export interface ExecRedaction extends Redaction {
  /**
   * EXEC's reply for its caller: every reply kept, but an error reply of a secret command (a
   * bad ACL SETUSER rule echoes the password) redacted as it would be outside a transaction.
   */
  forCaller<Value>(reply: Value): Value;
}

/** How to show EXEC's reply: each element as the queued command it answers allows. */
function transactionRedaction(queued: readonly Redaction[]): ExecRedaction {
  return {
    reply: (reply) => {
      // Null: WATCH aborted it. Not one element per command (a SUBSCRIBE of several channels
      // inside, another caller's commands slipped in): which element is whose is unknown.
      if (!Array.isArray(reply)) return reply;
      if (reply.length !== queued.length) return redactedReply;
      return reply.map((item, index) => redactValue(queued[index]!, item));
    },
    // EXECABORT names no argument.
    error: (error) => error,
    forCaller: (reply) => {
      if (!Array.isArray(reply) || !reply.some((item) => item instanceof ReplyError)) return reply;
      // Which element is whose is unknown: every error reply is redacted of every secret.
      if (reply.length !== queued.length)
        return reply.map((item) =>
          item instanceof ReplyError
            ? queued.reduce<unknown>((error, each) => each.error(error), item)
            : item,
        ) as typeof reply;
      return reply.map((item, index) =>
        item instanceof ReplyError ? queued[index]!.error(item) : item,
      ) as typeof reply;
    },
  };
}

/**
 * TransactionWatch follows MULTI ... EXEC in the order commands reach the server, so that EXEC's
 * reply, one element per queued command, is shown as each of those commands allows: the server
 * answered CONFIG GET or a bad ACL SETUSER rule inside the transaction with EXEC's array.
 */
export class TransactionWatch {
  /** How to show the replies of the commands queued since MULTI; null outside a transaction. */
  #queued: Redaction[] | null = null;

  /** True between MULTI and the EXEC, DISCARD or RESET that ends it. */
  get open(): boolean {
    return this.#queued !== null;
  }

  /** Notes a command (`[name, ...args]`) on its way; for an EXEC, returns how to show its reply. */
  note(kind: CommandKind, command: readonly unknown[]): ExecRedaction | null {
    switch (kind) {
      case CommandKind.Multi:
        // A nested MULTI is refused, not queued.
        this.#queued ??= [];
        return null;
      case CommandKind.Discard:
      case CommandKind.Reset:
        this.#queued = null;
        return null;
      case CommandKind.Exec: {
        const queued = this.#queued;
        this.#queued = null;
        return queued === null ? null : transactionRedaction(queued);
      }
    }
    if (this.#queued === null) return null;
    const name = asText(command[0]);
    // Refused inside MULTI, not queued.
    if (name.toUpperCase() !== 'WATCH') this.#queued.push(commandRedaction(name, command.slice(1)));
    return null;
  }
}
