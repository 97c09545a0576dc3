import type { ReplyValue } from '@x/resp';
import { type ReviewSentinel, startReviewSentinel } from '../review/helpers.js';

/** What a fake sentinel says; the test changes it as it goes. */
export interface FakeSentinelState {
  /** The master it names; null: it does not know the name. */
  master: { host: string; port: number } | null;
  /** The replicas it lists, with their flags. */
  replicas: { host: string; port: number; flags?: string; link?: string }[];
  /** Answer no lookup at all (a hung sentinel). */
  silent?: boolean;
  /** A reply of the wrong shape to GET-MASTER-ADDR-BY-NAME. */
  garbage?: ReplyValue;
}

export interface FakeSentinel extends ReviewSentinel {
  readonly state: FakeSentinelState;
}

/**
 * A scripted sentinel, for what real sentinels cannot be made to do: lie, hang, talk nonsense.
 * The review's scripted sentinel, answering from a state object the test changes.
 */
export async function startFakeSentinel(state: FakeSentinelState): Promise<FakeSentinel> {
  const sentinel = await startReviewSentinel(() => {
    if (state.silent) return undefined;
    if (state.garbage !== undefined) return state.garbage;
    return state.master === null ? null : [state.master.host, String(state.master.port)];
  });
  sentinel.replicas = () =>
    state.silent
      ? undefined
      : state.replicas.map((replica) => [
          'ip',
          replica.host,
          'port',
          String(replica.port),
          'flags',
          replica.flags ?? 'slave',
          'master-link-status',
          replica.link ?? 'ok',
        ]);
  return Object.assign(sentinel, { state });
}
