/**
 * What the connection must know about a command before it is written, read from its name (and,
 * for blocking commands, its timeout argument). Most commands are none of these.
 */
export const CommandKind = {
  Plain: 0,
  /** SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: confirmed by one frame per channel. */
  Subscribe: 1,
  /** UNSUBSCRIBE and kin: one frame per channel named, or per channel held when none is named. */
  Unsubscribe: 2,
  /** MONITOR: the server then sends replies nobody asked for. */
  Monitor: 3,
  /** EXEC: its reply may carry subscription confirmations. */
  Exec: 4,
  /** BLPOP and kin: the server may hold the reply for the command's own timeout. */
  Blocking: 5,
  /** MULTI and DISCARD: a transaction opens or ends. */
  Multi: 6,
  Discard: 7,
  /** RESET: back to RESP2, no subscriptions, no MONITOR. */
  Reset: 8,
  /** HELLO: may switch the protocol. */
  Hello: 9,
  /** CLIENT: CLIENT REPLY OFF|SKIP would leave commands without replies. */
  Client: 10,
  /** AUTH, ACL, CONFIG, MIGRATE: arguments (and error replies echoing them) may hold a password. */
  Secret: 11,
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

/** Where a blocking command keeps its timeout, and in which unit. */
enum TimeoutAt {
  LastSeconds = 0,
  FirstSeconds = 1,
  LastMilliseconds = 2,
  BlockOption = 3,
}

const special = new Map<string, CommandKind>([
  ['SUBSCRIBE', CommandKind.Subscribe],
  ['PSUBSCRIBE', CommandKind.Subscribe],
  ['SSUBSCRIBE', CommandKind.Subscribe],
  ['UNSUBSCRIBE', CommandKind.Unsubscribe],
  ['PUNSUBSCRIBE', CommandKind.Unsubscribe],
  ['SUNSUBSCRIBE', CommandKind.Unsubscribe],
  ['MONITOR', CommandKind.Monitor],
  ['EXEC', CommandKind.Exec],
  ['MULTI', CommandKind.Multi],
  ['DISCARD', CommandKind.Discard],
  ['RESET', CommandKind.Reset],
  ['HELLO', CommandKind.Hello],
  ['CLIENT', CommandKind.Client],
  ['AUTH', CommandKind.Secret],
  ['ACL', CommandKind.Secret],
  ['CONFIG', CommandKind.Secret],
  ['MIGRATE', CommandKind.Secret],
]);

const blocking = new Map<string, TimeoutAt>([
  ['BLPOP', TimeoutAt.LastSeconds],
  ['BRPOP', TimeoutAt.LastSeconds],
  ['BRPOPLPUSH', TimeoutAt.LastSeconds],
  ['BLMOVE', TimeoutAt.LastSeconds],
  ['BZPOPMIN', TimeoutAt.LastSeconds],
  ['BZPOPMAX', TimeoutAt.LastSeconds],
  ['BLMPOP', TimeoutAt.FirstSeconds],
  ['BZMPOP', TimeoutAt.FirstSeconds],
  ['WAIT', TimeoutAt.LastMilliseconds],
  ['WAITAOF', TimeoutAt.LastMilliseconds],
  ['XREAD', TimeoutAt.BlockOption],
  ['XREADGROUP', TimeoutAt.BlockOption],
]);

// Names seen before, as the caller spelled them: most programs use a few dozen, so the
// upper-casing below runs once per spelling. Bounded so that generated names cannot grow it.
const seen = new Map<string, CommandKind>();
const SEEN_LIMIT = 2048;

/** The kind of a command by its name alone. */
export function commandKind(name: string): CommandKind {
  let kind = seen.get(name);
  if (kind === undefined) {
    const upper = name.toUpperCase();
    kind = blocking.has(upper) ? CommandKind.Blocking : (special.get(upper) ?? CommandKind.Plain);
    if (seen.size < SEEN_LIMIT) seen.set(name, kind);
  }
  return kind;
}

/**
 * How long the server may hold a blocking command's reply, in milliseconds: -1 for no limit (a
 * timeout of 0, or one in a form this parser does not read), 0 when the command does not block
 * or its timeout is missing or negative (the server then refuses it at once).
 */
export function blockingAllowanceMs(name: string, wire: readonly (string | Uint8Array)[]): number {
  const at = blocking.get(name.toUpperCase());
  if (at === undefined) return 0;
  let text: string | undefined;
  let unitMs = 1000;
  switch (at) {
    case TimeoutAt.LastSeconds:
      text = asText(wire[wire.length - 1]);
      break;
    case TimeoutAt.FirstSeconds:
      text = asText(wire[1]);
      break;
    case TimeoutAt.LastMilliseconds:
      text = asText(wire[wire.length - 1]);
      unitMs = 1;
      break;
    case TimeoutAt.BlockOption: {
      unitMs = 1;
      const at = blockOptionAt(wire);
      if (at === -1) return 0;
      text = asText(wire[at + 1]);
    }
  }
  if (text === undefined || text === '') return 0;
  const value = Number(text);
  // The server reads timeouts this parser does not (0x1p1 is 2 s to strtold): then assume the
  // longest wait rather than a deadline that could fail a healthy connection. A malformed one
  // is refused at once either way.
  if (Number.isNaN(value)) return -1;
  if (value < 0) return 0;
  if (!Number.isFinite(value)) return -1;
  return value === 0 ? -1 : Math.ceil(value * unitMs);
}

/**
 * Where XREAD's or XREADGROUP's BLOCK keyword is in `wire` (the command name first), or -1:
 * `XREAD [COUNT n] [BLOCK ms] STREAMS ...`, `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK]
 * STREAMS ...`, options in any order before STREAMS; a group or consumer may be named BLOCK.
 */
export function blockOptionAt(wire: readonly (string | Uint8Array)[]): number {
  for (let index = 1; index < wire.length; index++) {
    const word = asText(wire[index])?.toUpperCase();
    if (word === 'STREAMS') return -1;
    if (word === 'BLOCK') return index;
    // Options with values: skip the values, which may read BLOCK or STREAMS.
    if (word === 'GROUP') index += 2;
    else if (word === 'COUNT') index += 1;
  }
  return -1;
}

function asText(part: string | Uint8Array | undefined): string | undefined {
  if (part === undefined) return undefined;
  return typeof part === 'string' ? part : Buffer.from(part).toString('latin1');
}

/** Refuses CLIENT REPLY OFF and SKIP: replies are matched to commands, so each needs its own. */
export function checkClientCommand(wire: readonly (string | Uint8Array)[]): void {
  const sub = wire[1];
  const mode = wire[2];
  if (sub === undefined || mode === undefined) return;
  const text = (part: string | Uint8Array) =>
    (typeof part === 'string' ? part : Buffer.from(part).toString('latin1')).toUpperCase();
  if (text(sub) === 'REPLY' && (text(mode) === 'OFF' || text(mode) === 'SKIP'))
    throw new TypeError(
      'CLIENT REPLY OFF and SKIP are not supported: every command must get its reply, in order',
    );
}
