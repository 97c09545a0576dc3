import { channel } from 'node:diagnostics_channel';
import type { Reply } from '@x/resp';

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

/** Replaces arguments that may hold a password with '?', so traces and logs never show one. */
export function redactArgs(command: string, args: readonly unknown[]): readonly unknown[] {
  return secretCommands.has(command.toUpperCase()) ? args.map(() => '?') : args;
}

/** Reports whether anyone listens, so untraced commands pay nothing. */
export function tracing(): boolean {
  return commandStartChannel.hasSubscribers || commandEndChannel.hasSubscribers;
}
