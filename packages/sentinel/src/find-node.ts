import { __internal, type Connection, dial } from '@x/conn';
import { type Reply, ReplyError } from '@x/resp';
import { askSentinel } from './ask-sentinel.js';
import type { SentinelAttempt } from './errors.js';
import {
  formatAddress,
  type NodeAddress,
  reportedAddress,
  type SentinelEndpoint,
} from './node-address.js';
import type { SentinelSettings } from './options.js';
import type { SentinelList } from './sentinel-list.js';

/** A node a sentinel named, checked and connected. */
export interface FoundNode {
  conn: Connection;
  address: NodeAddress;
}

// Error replies of a node that pass by themselves: ask again, another node may do.
const transientCodes = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN']);

/**
 * Makes one pass over the sentinels, as the Sentinel client protocol says: ask each in turn for
 * the master (or the replicas), connect to the node it names and check with ROLE that the node
 * agrees. The first that holds up moves its sentinel to the front. A sentinel that cannot be
 * reached, does not know the master, or names a node that is down or of another role (a failover
 * under way, or a sentinel that lies) only adds to `attempts`; null when none held up.
 */
export async function findNodeOnce(
  settings: SentinelSettings,
  list: SentinelList,
  signal: AbortSignal,
  attempts: SentinelAttempt[],
  pickReplica: (count: number) => number,
): Promise<FoundNode | null> {
  // One connect per address in a pass: a node that failed for one sentinel fails for the next.
  const tried = new Set<string>();
  // A sentinel or node that refused us (credentials, ACL, database): thrown when nothing else
  // holds up in this pass, so that a wrong password fails fast instead of at connectTimeoutMs.
  // Not at once: a lying sentinel may name a server with other credentials.
  let refusal: ReplyError | null = null;
  for (const sentinel of list.inOrder()) {
    signal.throwIfAborted();
    const sentinelName = formatAddress(sentinel);
    let candidates: NodeAddress[];
    let reportedSentinels: NodeAddress[];
    try {
      ({ candidates, reportedSentinels } = await lookUp(sentinel, settings, signal, pickReplica));
    } catch (error) {
      cutShort(signal, attempts, sentinelName);
      attempts.push({ where: sentinelName, reason: reasonOf(error, 'sentinel.timeoutMs') });
      if (ReplyError.is(error) && !transientCodes.has(error.code))
        refusal ??= new ReplyError(`${error.message} (sentinel ${sentinelName})`);
      list.demote(sentinel);
      continue;
    }
    if (candidates.length === 0)
      attempts.push({
        where: sentinelName,
        reason:
          settings.role === 'master'
            ? `does not know a master named "${settings.masterName}"`
            : `knows no replica of "${settings.masterName}" that is up`,
      });
    for (const reported of candidates) {
      let address: NodeAddress;
      try {
        address = settings.mapAddress(reported);
      } catch (error) {
        const where = `${formatAddress(reported)} (named by ${sentinelName})`;
        attempts.push({ where, reason: reasonOf(error, '') });
        continue;
      }
      const key = formatAddress(address);
      if (tried.has(key)) continue;
      tried.add(key);
      const where = `${key} (named by ${sentinelName})`;
      const conn = await connectChecked(address, settings, signal, where, attempts);
      if (ReplyError.is(conn)) refusal ??= new ReplyError(`${conn.message} (${where})`);
      if (conn === null || ReplyError.is(conn)) continue;
      list.promote(sentinel);
      if (settings.discoverSentinels)
        list.replaceReported(
          sentinel,
          reportedSentinels.flatMap((reported) => mappedOrNone(settings, reported)),
        );
      return { conn, address };
    }
    // Nothing it named held up: the next dial asks it last.
    list.demote(sentinel);
  }
  if (refusal !== null) throw refusal;
  return null;
}

/** Asks one sentinel where the node is and, in the same round trip, which other sentinels it knows. */
async function lookUp(
  sentinel: SentinelEndpoint,
  settings: SentinelSettings,
  signal: AbortSignal,
  pickReplica: (count: number) => number,
): Promise<{ candidates: NodeAddress[]; reportedSentinels: NodeAddress[] }> {
  const { masterName, role, discoverSentinels } = settings;
  const question =
    role === 'master'
      ? ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]
      : ['SENTINEL', 'REPLICAS', masterName];
  const replies = await askSentinel(sentinel, settings, signal, [
    question,
    ...(discoverSentinels ? [['SENTINEL', 'SENTINELS', masterName]] : []),
  ]);
  const [answer, others] = replies;
  if (answer instanceof ReplyError) {
    // Sentinel answers an unknown name with an error to SENTINEL REPLICAS, with null to the other.
    if (/no such master/i.test(answer.message)) return { candidates: [], reportedSentinels: [] };
    throw answer;
  }
  const candidates =
    role === 'master' ? masterAddress(answer) : healthyReplicas(answer, pickReplica);
  return { candidates, reportedSentinels: others instanceof ReplyError ? [] : listed(others) };
}

function masterAddress(answer: Reply | undefined): NodeAddress[] {
  if (answer === null || answer === undefined) return [];
  if (!Array.isArray(answer) || answer.length !== 2)
    throw new TypeError(
      'the sentinel answered GET-MASTER-ADDR-BY-NAME with something other than [ip, port]',
    );
  const address = reportedAddress(answer[0], answer[1]);
  if (address === null) throw new TypeError('the sentinel named a master with an invalid address');
  return [address];
}

/**
 * The replicas a sentinel takes for healthy (not down, linked to their master), starting at the
 * one `pickReplica` chooses, so that successive dials spread over them.
 */
function healthyReplicas(
  answer: Reply | undefined,
  pickReplica: (count: number) => number,
): NodeAddress[] {
  const healthy: NodeAddress[] = [];
  for (const fields of fieldsOf(answer)) {
    const flags = (fields.get('flags') ?? '').split(',');
    if (flags.some((flag) => flag === 's_down' || flag === 'o_down' || flag === 'disconnected'))
      continue;
    if (fields.get('master-link-status') !== 'ok') continue;
    const address = reportedAddress(fields.get('ip'), fields.get('port'));
    if (address !== null) healthy.push(address);
  }
  if (healthy.length < 2) return healthy;
  const start = pickReplica(healthy.length);
  return [...healthy.slice(start), ...healthy.slice(0, start)];
}

/** `SENTINEL SENTINELS` and `SENTINEL REPLICAS` list field/value arrays; RESP2 is asked for. */
function fieldsOf(answer: Reply | undefined): Map<string, string>[] {
  if (!Array.isArray(answer))
    throw new TypeError('the sentinel answered with something other than a list');
  return answer.map((entry) => {
    const fields = new Map<string, string>();
    if (!Array.isArray(entry)) return fields;
    for (let i = 0; i + 1 < entry.length; i += 2)
      fields.set(String(entry[i]), String(entry[i + 1]));
    return fields;
  });
}

function listed(answer: Reply | undefined): NodeAddress[] {
  try {
    return fieldsOf(answer).flatMap((fields) => {
      const address = reportedAddress(fields.get('ip'), fields.get('port'));
      return address === null ? [] : [address];
    });
  } catch {
    // The list only speeds up later lookups: a reply of another shape is left out.
    return [];
  }
}

/**
 * Connects to a node a sentinel named and checks that ROLE agrees: `master`, or `slave` for a
 * replica, within checkTimeoutMs. A node whose ACL refuses ROLE (NOPERM) is taken at the
 * sentinel's word. Null
 * (with the reason in `attempts`) when the node is down, of another role, or loading; the error
 * reply when it refused the handshake (wrong password, bad database).
 */
async function connectChecked(
  address: NodeAddress,
  settings: SentinelSettings,
  signal: AbortSignal,
  where: string,
  attempts: SentinelAttempt[],
): Promise<Connection | ReplyError | null> {
  // A node that accepts TCP and never answers costs checkTimeoutMs, not the whole dial.
  const limit =
    settings.checkTimeoutMs === 0
      ? signal
      : AbortSignal.any([signal, __internal.timeoutSignal(settings.checkTimeoutMs)]);
  let conn: Connection;
  try {
    conn = await dial(undefined, { ...settings.node, ...address, signal: limit });
  } catch (error) {
    cutShort(signal, attempts, where);
    attempts.push({ where, reason: reasonOf(error, 'checkTimeoutMs') });
    return ReplyError.is(error) && !transientCodes.has(error.code) ? error : null;
  }
  let role: string;
  try {
    const reply = await conn.doWith({ signal: limit }, 'ROLE');
    role = Array.isArray(reply) ? String(reply[0]) : `an unexpected ROLE reply`;
  } catch (error) {
    // An ACL without ROLE: the node answers, it cannot say more. Any other refusal (NOAUTH,
    // BUSY, a server without ROLE) is no agreement.
    if (ReplyError.is(error) && error.code === 'NOPERM') return conn;
    conn.destroy();
    cutShort(signal, attempts, where);
    attempts.push({ where, reason: reasonOf(error, 'checkTimeoutMs') });
    // NOAUTH: the node wants a password that was not given: a refusal, like WRONGPASS.
    return ReplyError.is(error) && error.code === 'NOAUTH' ? error : null;
  }
  const wanted = settings.role === 'master' ? 'master' : 'slave';
  if (role === wanted) return conn;
  conn.destroy();
  attempts.push({ where, reason: `ROLE says ${role}, not ${wanted}` });
  return null;
}

/** A reported sentinel's mapped address, or none when mapAddress refuses it. */
function mappedOrNone(settings: SentinelSettings, reported: NodeAddress): NodeAddress[] {
  try {
    return [settings.mapAddress(reported)];
  } catch {
    return [];
  }
}

/** The dial's time ran out (or its caller gave up) at `where`: say so, then stop. */
function cutShort(signal: AbortSignal, attempts: SentinelAttempt[], where: string): void {
  if (!signal.aborted) return;
  attempts.push({ where, reason: 'cut short: the dial ran out of time or was aborted' });
  signal.throwIfAborted();
}

function reasonOf(error: unknown, limitName: string): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `no answer within ${limitName}`;
  return error instanceof Error ? error.message : String(error);
}
