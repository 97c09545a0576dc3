import { type Channel, channel } from 'node:diagnostics_channel';
import type { Reply } from '@x/resp';

// Redaction rules live in redaction.ts; re-exported for the modules that trace.
export {
  hidesReply,
  isSecretCommand,
  redactArgs,
  redactError,
  redactedReply,
  redactText,
} from './redaction.js';

// Typed as the plain `Channel`: the emitted `Channel<unknown, unknown>` would not compile for users
// of @types/node before 20.11, where Channel is not generic.
/** Published when a command is queued: `{ command, args, connectionId }`. */
export const commandStartChannel: Channel = channel('@x/conn:command:start');
/** Published when its reply arrives or it fails: `{ command, connectionId, reply?, error?, durationMs }`. */
export const commandEndChannel: Channel = channel('@x/conn:command:end');

/** What tracing subscribers receive at the start of a command. */
export interface CommandStartMessage {
  command: string;
  args: readonly unknown[];
  connectionId: number;
}

/**
 * What tracing subscribers receive at the end of a command. A reply that may hold a password is
 * '?', and so is each such element of EXEC's reply; errors have secret arguments replaced by '?'.
 */
export interface CommandEndMessage {
  command: string;
  connectionId: number;
  durationMs: number;
  reply?: Reply;
  error?: unknown;
}

/** Reports whether anyone listens, so untraced commands pay nothing. */
export function tracing(): boolean {
  return commandStartChannel.hasSubscribers || commandEndChannel.hasSubscribers;
}
