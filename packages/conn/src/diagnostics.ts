import { type Channel, channel, tracingChannel } from 'node:diagnostics_channel';
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

/**
 * The names of this package's `TracingChannel`s, for `diagnostics_channel.tracingChannel(name)`:
 * `command` publishes `tracing:x:conn:command:start` (and `:end`, `:asyncStart`, `:asyncEnd`,
 * `:error`) for every command, `connect` the same for every `dial`.
 */
export const tracingChannelNames = {
  command: 'x:conn:command',
  connect: 'x:conn:connect',
} as const;

// Not exported from the package: @types/node before 20.2 has no TracingChannel type.
export const commandTracing = tracingChannel(tracingChannelNames.command);
export const connectTracing = tracingChannel(tracingChannelNames.connect);

// Typed as the plain `Channel`: the emitted `Channel<unknown, unknown>` would not compile for users
// of @types/node before 20.11, where Channel is not generic.
/**
 * Published when a command is queued: `{ command, args, connectionId }`.
 *
 * @deprecated Subscribe to the `x:conn:command` TracingChannel (see `tracingChannelNames`); this
 * channel keeps working until the next major version.
 */
export const commandStartChannel: Channel = channel('@x/conn:command:start');
/**
 * Published when its reply arrives or it fails: `{ command, connectionId, reply?, error?, durationMs }`.
 *
 * @deprecated Subscribe to the `x:conn:command` TracingChannel (see `tracingChannelNames`); this
 * channel keeps working until the next major version.
 */
export const commandEndChannel: Channel = channel('@x/conn:command:end');

/**
 * What tracing subscribers receive at the start of a command.
 *
 * @deprecated See `CommandTraceContext`, of the `x:conn:command` TracingChannel.
 */
export interface CommandStartMessage {
  command: string;
  args: readonly unknown[];
  connectionId: number;
}

/**
 * What tracing subscribers receive at the end of a command. A reply that may hold a password is
 * '?', and so is each such element of EXEC's reply; errors have secret arguments replaced by '?'.
 *
 * @deprecated See `CommandTraceContext`, of the `x:conn:command` TracingChannel.
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
  return (
    commandTracing.hasSubscribers ||
    commandStartChannel.hasSubscribers ||
    commandEndChannel.hasSubscribers
  );
}
