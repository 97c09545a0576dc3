import { type Arg, namedCommandToWire } from '@x/resp';
import {
  blockingAllowanceMs,
  CommandKind,
  checkClientCommand,
  commandKind,
} from './command-kind.js';
import { tracing } from './diagnostics.js';
import { Request } from './request.js';
import type { Confirming } from './subscriptions.js';
import { noTarget, type TraceSource } from './trace-source.js';

/**
 * Converts a command into a Request: its arguments to wire form (RangeError past `maxArgBytes`),
 * and what the connection must know of it before the write. Throws TypeError for a command name
 * that is not a string, or for CLIENT REPLY OFF/SKIP. `traceSource` describes the connection
 * to traces (null: none yet).
 */
export function newRequest(
  command: string,
  args: readonly Arg[],
  maxArgBytes: number | undefined,
  traceSource: TraceSource | null,
): Request {
  if (typeof command !== 'string')
    throw new TypeError(`the command name must be a string, got ${typeof command}`);
  const wire = namedCommandToWire(command, args, maxArgBytes);
  let kind = commandKind(command);
  // With arguments the server refuses them for their arity: no transaction opens or ends.
  if (
    wire.length > 1 &&
    (kind === CommandKind.Multi || kind === CommandKind.Discard || kind === CommandKind.Reset)
  )
    kind = CommandKind.Plain;
  let confirming: Confirming | null = null;
  let blockingMs = 0;
  if (kind === CommandKind.Blocking) {
    blockingMs = blockingAllowanceMs(command, wire);
  } else if (kind === CommandKind.Client) {
    checkClientCommand(wire);
  } else if (kind === CommandKind.Subscribe || kind === CommandKind.Unsubscribe) {
    // SUBSCRIBE without names is an ordinary error reply; UNSUBSCRIBE without names is
    // confirmed once per subscription held when the server runs it.
    const named = wire.length - 1;
    if (named > 0 || kind === CommandKind.Unsubscribe)
      confirming = { kind: command.toLowerCase(), remaining: named > 0 ? named : -1 };
  }
  const request = new Request(wire, kind, confirming, blockingMs);
  if (tracing()) request.traceStart(command.toUpperCase(), args, traceSource?.target() ?? noTarget);
  return request;
}
