import { ReplyError } from '@x/resp';
import { type NodeAddress, parseAddress } from './node-address.js';

/** A MOVED or ASK reply: the slot lives (for good, or for this command) at `address`. */
export interface Redirect {
  readonly kind: 'MOVED' | 'ASK';
  readonly slot: number;
  readonly address: NodeAddress;
}

/**
 * Reads `MOVED 3999 10.0.0.2:6379` or `ASK 3999 10.0.0.2:6379`; null for any other error.
 * `askedHost` stands in for an empty host (`MOVED 3999 :6380`).
 */
export function redirectOf(error: unknown, askedHost: string): Redirect | null {
  if (!ReplyError.is(error) || (error.code !== 'MOVED' && error.code !== 'ASK')) return null;
  const [, slotText, where] = error.message.split(' ');
  const slot = Number(slotText);
  if (!Number.isInteger(slot) || slot < 0 || slot >= 16_384 || where === undefined) return null;
  const address = parseAddress(where, askedHost);
  return address === null ? null : { kind: error.code, slot, address };
}

/** Error replies that mean "this slot is busy or the cluster is not serving yet: try again soon". */
export function isTransient(error: unknown): boolean {
  if (!ReplyError.is(error)) return false;
  return (
    error.code === 'TRYAGAIN' ||
    error.code === 'CLUSTERDOWN' ||
    error.code === 'LOADING' ||
    error.code === 'MASTERDOWN'
  );
}
