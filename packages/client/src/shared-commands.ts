import { __internal } from '@x/conn';
import { type Arg, commandToWire, namedCommandToWire } from '@x/resp';
import { NeedsOwnConnectionError } from './errors.js';

const { blockOptionAt, CommandKind, commandKind } = __internal;

const useExclusive =
  'use client.exclusive(async (conn) => { ... }), which lends a connection of its own';
const usePubSub = "use Subscriber from @x/pubsub, with the client's address or dial function";
const subscribes = (name: string) => `${name} turns the connection into a subscriber: ${usePubSub}`;
const unsubscribes = `the shared connection holds no subscriptions: ${usePubSub}`;
const transaction = (name: string) =>
  `${name} on the shared connection would take other callers' commands into the transaction, and a reconnect would lose it: ${useExclusive}`;

// Commands that would draw other callers' commands into their effect, or change the connection
// in a way the next reconnect would silently undo.
const refusedByName = new Map<string, string>([
  ['MULTI', transaction('MULTI')],
  ['EXEC', transaction('EXEC')],
  ['DISCARD', transaction('DISCARD')],
  ['WATCH', transaction('WATCH')],
  ['UNWATCH', transaction('UNWATCH')],
  ['SUBSCRIBE', subscribes('SUBSCRIBE')],
  ['PSUBSCRIBE', subscribes('PSUBSCRIBE')],
  ['SSUBSCRIBE', subscribes('SSUBSCRIBE')],
  ['UNSUBSCRIBE', unsubscribes],
  ['PUNSUBSCRIBE', unsubscribes],
  ['SUNSUBSCRIBE', unsubscribes],
  ['MONITOR', `MONITOR takes the connection over: ${useExclusive}`],
  [
    'SELECT',
    'SELECT would switch the database under every caller until a reconnect silently switches it back: set `database` in the client options, or use client.exclusive()',
  ],
  [
    'AUTH',
    'AUTH would switch the user under every caller until a reconnect silently switches it back: set `username` and `password` in the client options',
  ],
  [
    'HELLO',
    'HELLO would switch the protocol under every caller: set `protocol` in the client options',
  ],
  [
    'RESET',
    'RESET would drop the user, database and name of the shared connection: use client.exclusive()',
  ],
  ['QUIT', 'QUIT would close the connection under every caller: use client.close()'],
  ['SYNC', `SYNC turns the connection into a replication stream: ${useExclusive}`],
  ['PSYNC', `PSYNC turns the connection into a replication stream: ${useExclusive}`],
  [
    'READONLY',
    'READONLY would change the connection for every caller until a reconnect silently undoes it',
  ],
  [
    'READWRITE',
    'READWRITE would change the connection for every caller until a reconnect silently undoes it',
  ],
]);

// CLIENT subcommands that set state of the connection a reconnect would silently drop.
const refusedClientSubcommands = new Map<string, string>([
  [
    'TRACKING',
    'CLIENT TRACKING on the shared connection would stop silently at the next reconnect: use client.exclusive()',
  ],
  ['CACHING', 'CLIENT CACHING belongs with CLIENT TRACKING on a connection of its own'],
  [
    'SETNAME',
    'CLIENT SETNAME would be undone by the next reconnect: set `clientName` in the client options',
  ],
  ['SETINFO', 'CLIENT SETINFO would be undone by the next reconnect'],
  ['NO-EVICT', 'CLIENT NO-EVICT would be undone by the next reconnect: use client.exclusive()'],
  ['NO-TOUCH', 'CLIENT NO-TOUCH would be undone by the next reconnect: use client.exclusive()'],
  ['REPLY', 'CLIENT REPLY would leave other callers without replies'],
]);

// The verdict for each spelling seen, as the caller wrote it, so the hot path upper-cases a
// command name once. Bounded so that generated names cannot grow it.
const verdicts = new Map<string, string | null>();
const VERDICTS_LIMIT = 2048;
const BLOCKS = 'blocks';
const CLIENT = 'client';

/**
 * The error to refuse a command with on the client's shared connection, or null when it may run
 * there. A blocking command (BLPOP, XREAD BLOCK, WAIT, ...) is refused because its reply would
 * hold back every reply behind it.
 */
export function refusalOnShared(
  command: string,
  args: readonly Arg[],
): NeedsOwnConnectionError | null {
  let verdict = verdicts.get(command);
  if (verdict === undefined) {
    const kind = commandKind(command);
    verdict =
      kind === CommandKind.Blocking
        ? BLOCKS
        : kind === CommandKind.Client
          ? CLIENT
          : (refusedByName.get(command.toUpperCase()) ?? null);
    if (verdicts.size < VERDICTS_LIMIT) verdicts.set(command, verdict);
  }
  if (verdict === null) return null;
  if (verdict === CLIENT) return clientRefusal(args);
  if (verdict !== BLOCKS) return new NeedsOwnConnectionError(verdict);
  if (!blocks(command, args)) return null;
  return new NeedsOwnConnectionError(
    `${command.toUpperCase()} blocks, and every reply behind it on the shared connection would wait: ${useExclusive}`,
  );
}

function clientRefusal(args: readonly Arg[]): NeedsOwnConnectionError | null {
  // The subcommand as the server reads it: the first argument on the wire, whatever its form
  // (an array of arguments, a RedisArgument, bytes). Arguments that cannot be sent are refused
  // later, by the request itself.
  let subcommand: string | Uint8Array | undefined;
  try {
    subcommand = commandToWire(args)[0];
  } catch {
    return null;
  }
  if (subcommand === undefined) return null;
  const name =
    typeof subcommand === 'string' ? subcommand : Buffer.from(subcommand).toString('latin1');
  const reason = refusedClientSubcommands.get(name.toUpperCase());
  return reason === undefined ? null : new NeedsOwnConnectionError(reason);
}

/**
 * Whether a blocking command would block: BLPOP and kin always do, whatever their timeout reads
 * as (the server reads forms such as 0x1p1 that a client parser may not); XREAD and XREADGROUP
 * when BLOCK is among their options.
 */
function blocks(command: string, args: readonly Arg[]): boolean {
  const upper = command.toUpperCase();
  if (upper !== 'XREAD' && upper !== 'XREADGROUP') return true;
  return blockOptionAt(namedCommandToWire(command, args)) !== -1;
}
