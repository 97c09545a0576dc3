import { channel } from 'node:diagnostics_channel';
import { type Reply, ReplyError } from '@x/resp';

/** Published when a command is queued: `{ command, args, connectionId }`. */
export const commandStartChannel = channel('@x/conn:command:start');
/** Published when its reply arrives or it fails: `{ command, connectionId, reply?, error?, durationMs }`. */
export const commandEndChannel = channel('@x/conn:command:end');

/** What tracing subscribers receive at the start of a command. */
export interface CommandStartMessage {
  command: string;
  args: readonly unknown[];
  connectionId: number;
}

/** What tracing subscribers receive at the end of a command. */
export interface CommandEndMessage {
  command: string;
  connectionId: number;
  durationMs: number;
  reply?: Reply;
  error?: unknown;
}

const secretCommands = new Set(['AUTH', 'HELLO', 'MIGRATE', 'ACL', 'CONFIG']);
// Words of the secret commands that are never secrets themselves.
const keywords = new Set([
  ...['AUTH', 'SETNAME', 'AUTH2', 'KEYS', 'COPY', 'REPLACE', '2', '3'],
  ...['SETUSER', 'GETUSER', 'DELUSER', 'DRYRUN', 'LIST', 'USERS', 'WHOAMI', 'CAT', 'LOG'],
  ...['GET', 'SET', 'RESETSTAT', 'REWRITE', 'ON', 'OFF'],
]);

/** Reports whether a command's arguments may hold a password. */
export function isSecretCommand(command: string): boolean {
  return secretCommands.has(command.toUpperCase());
}

/** What traces and logs show instead of a reply that may hold a secret (CONFIG GET requirepass). */
export const redactedReply = '?';

/** Reports whether a command's reply may hold a password: CONFIG and ACL. */
export function hidesReply(command: string): boolean {
  const name = command.toUpperCase();
  return name === 'CONFIG' || name === 'ACL';
}

/** Replaces arguments that may hold a password with '?', so traces and logs never show one. */
export function redactArgs(command: string, args: readonly unknown[]): readonly unknown[] {
  return isSecretCommand(command) ? args.map(() => '?') : args;
}

/**
 * An error of a secret command with every argument it echoes replaced by '?': a server without
 * HELLO answers "unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'user' 'password'".
 */
export function redactError(command: string, args: readonly unknown[], error: unknown): unknown {
  if (!isSecretCommand(command) || !(error instanceof ReplyError)) return error;
  const redacted = redactText(error.message, args);
  return redacted === error.message ? error : new ReplyError(redacted);
}

/** `text` with every occurrence of a non-keyword argument replaced by '?'. */
export function redactText(text: string, args: readonly unknown[]): string {
  let redacted = text;
  for (const arg of args) {
    const value = typeof arg === 'string' ? arg : Buffer.isBuffer(arg) ? arg.toString() : '';
    if (value === '' || keywords.has(value.toUpperCase())) continue;
    redacted = redacted.split(value).join('?');
  }
  return redacted;
}

/** Reports whether anyone listens, so untraced commands pay nothing. */
export function tracing(): boolean {
  return commandStartChannel.hasSubscribers || commandEndChannel.hasSubscribers;
}
