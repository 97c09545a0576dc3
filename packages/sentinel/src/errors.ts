import { ConnectionError } from '@x/conn';

/** One thing a dial tried on its way to a node, and why it did not do. */
export interface SentinelAttempt {
  /** A sentinel (`host:port`), or a node with the sentinel that named it. */
  readonly where: string;
  readonly reason: string;
}

/**
 * SentinelError means a dial found no node of the asked role in time: every sentinel was
 * unreachable or did not know the master, or the nodes they named were down or of another role.
 * `attempts` says what was tried, in order. A ConnectionError (code `ERR_SENTINEL`), so a
 * reconnecting client keeps its calls waiting and tries again.
 */
export class SentinelError extends ConnectionError {
  override name = 'SentinelError';
  readonly attempts: readonly SentinelAttempt[];

  constructor(message: string, attempts: readonly SentinelAttempt[], cause?: unknown) {
    const tried = attempts.map((attempt) => `${attempt.where}: ${attempt.reason}`).join('; ');
    super(tried === '' ? message : `${message} (${tried})`, { code: 'ERR_SENTINEL', cause });
    this.attempts = attempts;
  }
}

/**
 * DemotedMasterError is the cause with which a connection is destroyed when its master answered
 * READONLY: it became a replica, so the next connection is looked up through the sentinels.
 */
export class DemotedMasterError extends ConnectionError {
  override name = 'DemotedMasterError';

  constructor(address: string) {
    super(`${address} answered READONLY: it is no longer the master`, { code: 'ERR_DEMOTED' });
  }
}
