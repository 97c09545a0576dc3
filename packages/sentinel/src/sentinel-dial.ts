import { __internal, type Connection, type DialFunction } from '@x/conn';
import type { ReplyError } from '@x/resp';
import { DemotedMasterError, type SentinelAttempt, SentinelError } from './errors.js';
import { FailoverWatch } from './failover-watch.js';
import { findNodeOnce } from './find-node.js';
import { formatAddress } from './node-address.js';
import { readSentinelOptions, type SentinelDialOptions } from './options.js';
import { SentinelList } from './sentinel-list.js';

/** A DialFunction that finds its node through Sentinel; it also tells which sentinels it knows. */
export interface SentinelDial extends DialFunction {
  /** The sentinels in the order the next dial asks them (`host:port`). */
  sentinels(): string[];
}

// Between passes over the sentinels: short, as a failover in progress settles in about a second.
const firstPauseMs = 100;
const longestPauseMs = 1_000;

/**
 * Makes a dial function for @x/client, @x/pool and the pub/sub Subscriber that connects to the
 * master named `masterName` (or to one of its replicas), wherever Sentinel says it is now. Each
 * dial asks the sentinels again, so every reconnect follows a failover; it passes over them until
 * a node holds up or `connectTimeoutMs` (default 10 s) or the caller's signal ends it.
 */
export function sentinelDial(options: SentinelDialOptions): SentinelDial {
  const settings = readSentinelOptions(options);
  const list = new SentinelList(settings.sentinels);
  const watch = new FailoverWatch(settings, list);
  let replicaTurn = 0;
  const pickReplica = (count: number) => replicaTurn++ % count;

  const dialNode = async ({ signal }: { signal: AbortSignal }): Promise<Connection> => {
    const deadline =
      settings.dialTimeoutMs === 0 ? null : __internal.timeoutSignal(settings.dialTimeoutMs);
    const limit = deadline === null ? signal : AbortSignal.any([signal, deadline]);
    let attempts: SentinelAttempt[] = [];
    let lastPass: SentinelAttempt[] = [];
    const wanted = `${settings.role === 'master' ? 'master' : 'a replica of'} "${settings.masterName}"`;
    try {
      for (let pass = 0; ; pass++) {
        // Only the last whole pass (and the one cut short) goes in the error: earlier passes say
        // the same, or are out of date.
        if (attempts.length > 0) lastPass = attempts;
        attempts = [];
        const found = await findNodeOnce(settings, list, limit, attempts, pickReplica);
        if (found !== null) {
          const address = formatAddress(found.address);
          if (settings.role === 'master') endOnReadOnly(found.conn, address);
          watch.track(found.conn, address);
          return found.conn;
        }
        await watch.pause(Math.min(firstPauseMs * 2 ** pass, longestPauseMs), limit);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (limit.aborted)
        throw new SentinelError(`found no ${wanted} within ${settings.dialTimeoutMs} ms`, [
          ...lastPass,
          ...attempts,
        ]);
      throw error;
    }
  };
  return Object.assign(dialNode, {
    sentinels: () => list.inOrder().map(formatAddress),
  });
}

/**
 * A master demoted under a connection answers writes with READONLY: end the connection, so that
 * its owner (client, pool, subscriber) dials again through the sentinels. The caller of the write
 * has the READONLY error; it was not applied. The end waits for the replies already read.
 */
function endOnReadOnly(conn: Connection, address: string): void {
  __internal.watchErrorReplies(conn, (reply: ReplyError) => {
    // Inside MULTI the write is refused at EXEC: EXECABORT ... because of: READONLY ...
    const demoted =
      reply.code === 'READONLY' ||
      (reply.code === 'EXECABORT' && /\bREADONLY\b/.test(reply.message));
    if (!demoted) return;
    __internal.watchErrorReplies(conn, null);
    queueMicrotask(() => conn.destroy(new DemotedMasterError(address)));
  });
}
