import { __internal } from '@x/conn';
import { type Arg, commandToWire } from '@x/resp';
import { NeedsOwnConnectionError } from './errors.js';

const { blockingAllowanceMs, CommandKind, commandKind } = __internal;

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
]);

// The verdict for each spelling seen, as the caller wrote it, so the hot path upper-cases a
// command name once. Bounded so that generated names cannot grow it.
const verdicts = new Map<string, string | null>();
const VERDICTS_LIMIT = 2048;
const BLOCKS = 'blocks';

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
    verdict =
      commandKind(command) === CommandKind.Blocking
        ? BLOCKS
        : (refusedByName.get(command.toUpperCase()) ?? null);
    if (verdicts.size < VERDICTS_LIMIT) verdicts.set(command, verdict);
  }
  if (verdict === null) return null;
  if (verdict !== BLOCKS) return new NeedsOwnConnectionError(verdict);
  // 0: no BLOCK option (XREAD), or a timeout the server refuses at once; either way no wait.
  if (blockingAllowanceMs(command, commandToWire([command, ...args])) === 0) return null;
  return new NeedsOwnConnectionError(
    `${command.toUpperCase()} blocks, and every reply behind it on the shared connection would wait: ${useExclusive}`,
  );
}
