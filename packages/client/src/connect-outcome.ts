import { ReplyError } from '@x/resp';

// Error replies that pass by themselves: a server loading its data, running a long script,
// waiting for its master, or full for now. Calls keep waiting through them.
const transientCodes = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN']);
const serverFull = /^ERR max number of clients reached/;

/** What a failed connection attempt means for the calls that wait. */
export type AttemptFailure =
  /** Try again after the backoff; calls keep waiting. */
  | 'transient'
  /** The server refuses these credentials or settings: calls fail now, attempts go on. */
  | 'refused'
  /** The options cannot work (dial() refused them): the client stops. */
  | 'unusable';

/**
 * Classifies the error of a connection attempt. `optionsChecked` says dial() itself checked the
 * options, so its TypeError or RangeError means they are wrong; a dial function's errors are
 * taken as passing, whatever their type.
 */
export function attemptFailure(error: unknown, optionsChecked: boolean): AttemptFailure {
  if (ReplyError.is(error))
    return transientCodes.has(error.code) || serverFull.test(error.message)
      ? 'transient'
      : 'refused';
  if (optionsChecked && (error instanceof TypeError || error instanceof RangeError))
    return 'unusable';
  return 'transient';
}

/**
 * Whether an error reply to the readiness PING still means the server is ready: it answered.
 * NOPERM (an ACL without PING) or an unknown command (PING renamed) do; NOAUTH, WRONGPASS and
 * the transient refusals do not.
 */
export function answersPing(error: ReplyError): boolean {
  if (error.code === 'NOAUTH' || error.code === 'WRONGPASS') return false;
  return attemptFailure(error, false) !== 'transient';
}
