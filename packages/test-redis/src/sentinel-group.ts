import { openRawClient } from './raw-client.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** SentinelGroupOptions says how to start a master, its replicas and the sentinels watching them. */
export interface SentinelGroupOptions {
  /** The name the sentinels monitor the master under. Default 'mymaster'. */
  masterName?: string;
  /** Default 1. */
  replicas?: number;
  /** Default 3. */
  sentinels?: number;
  /** Sentinels that must agree the master is down. Default 2. */
  quorum?: number;
  /** How long the master may be silent before a sentinel takes it for down. Default 1,000 ms. */
  downAfterMs?: number;
  /** Sentinel's failover-timeout. Default 3,000 ms (also the wait before a second failover). */
  failoverTimeoutMs?: number;
  /** Passwords: `node` for master and replicas, `sentinel` for the sentinels (each their own). */
  passwords?: { node: string; sentinel: string };
}

/** SentinelGroup is a running master, its replicas and their sentinels, which a test owns. */
export interface SentinelGroup {
  readonly masterName: string;
  /** The first master; after a failover it may be a replica. */
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** Every sentinel as `host:port`. */
  readonly sentinelAddresses: string[];
  /** The master's port as a sentinel names it now. */
  currentMasterPort(): Promise<number>;
  /**
   * Waits until every sentinel knows every replica and every other sentinel, so that a
   * failover can start: up to `timeoutMs` (default 15 s).
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Stops every process and removes their files. */
  stop(): Promise<void>;
}

/** Starts a master, replicas of it, and sentinels that monitor it, on free loopback ports. */
export async function startSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const masterName = options.masterName ?? 'mymaster';
  const { passwords } = options;
  const nodeArgs = passwords
    ? ['--requirepass', passwords.node, '--masterauth', passwords.node]
    : [];
  const started: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    const master = await startRedisServer({ args: nodeArgs });
    started.push(master);
    const replicas: RedisServer[] = [];
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      const replica = await startRedisServer({
        args: [...nodeArgs, '--replicaof', master.host, String(master.port)],
      });
      started.push(replica);
      replicas.push(replica);
    }
    const config = [
      `sentinel monitor ${masterName} ${master.host} ${master.port} ${options.quorum ?? 2}`,
      `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
      `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 3_000}`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(passwords
        ? [
            `sentinel auth-pass ${masterName} ${passwords.node}`,
            `requirepass ${passwords.sentinel}`,
            `sentinel sentinel-pass ${passwords.sentinel}`,
          ]
        : []),
      '',
    ].join('\n');
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < (options.sentinels ?? 3); i++) {
      const sentinel = await startRedisServer({ configText: config, args: ['--sentinel'] });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const sentinelAddresses = sentinels.map((sentinel) => `${sentinel.host}:${sentinel.port}`);
    const ask = async (sentinel: RedisServer, ...command: string[]) => {
      const client = await openRawClient(sentinel.port);
      try {
        if (passwords) await client.call('AUTH', passwords.sentinel);
        return asText(await client.call(...command));
      } finally {
        client.close();
      }
    };
    return {
      masterName,
      master,
      replicas,
      sentinels,
      sentinelAddresses,
      async currentMasterPort() {
        for (const sentinel of sentinels) {
          try {
            const reply = await ask(sentinel, 'SENTINEL', 'get-master-addr-by-name', masterName);
            if (Array.isArray(reply)) return Number(reply[1]);
          } catch {
            // A stopped sentinel: ask the next.
          }
        }
        throw new Error('no sentinel names a master');
      },
      async settled(timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (const sentinel of sentinels) {
          for (;;) {
            const master = (await ask(sentinel, 'SENTINEL', 'master', masterName)) as string[];
            const field = (name: string) => Number(master[master.indexOf(name) + 1]);
            const replicaLinks = (await ask(
              sentinel,
              'SENTINEL',
              'replicas',
              masterName,
            )) as string[][];
            const linked = replicaLinks.filter(
              (fields) => fields[fields.indexOf('master-link-status') + 1] === 'ok',
            ).length;
            if (
              field('num-slaves') >= replicas.length &&
              linked >= replicas.length &&
              field('num-other-sentinels') >= sentinels.length - 1
            )
              break;
            if (Date.now() > deadline)
              throw new Error(`sentinel group did not settle within ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Text = string | null | Text[];

/** A reply with every bulk string as text: sentinels' replies are names, addresses and numbers. */
function asText(reply: unknown): Text {
  if (reply === null) return null;
  if (Array.isArray(reply)) return reply.map(asText);
  if (reply instanceof Error) throw reply;
  return String(reply);
}
