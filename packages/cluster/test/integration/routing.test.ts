// Routing on a real 6-node cluster (3 masters, 3 replicas): every call must land on the node
// that serves its keys, split where the server's tips say so, and refuse what cannot work.
import { Script } from '@x/scripting';
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, CrossSlotError, keySlot } from '../../src/index.js';

const suite = useRedisCluster();
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: [suite.cluster.seeds[0] as string] });
});
afterAll(async () => {
  await cluster?.close();
});

/** The port of the master that really holds `key`, asked of the server itself. */
async function ownerPort(key: string): Promise<number> {
  return (await suite.cluster.nodeForSlot(keySlot(key))).port;
}

describe('single-key commands', () => {
  it('lands each key on the master that serves its slot', async () => {
    const keys = Array.from({ length: 300 }, (_, index) => `routed:${index}`);
    await Promise.all(keys.map((key, index) => cluster.do('SET', key, `v${index}`)));
    // Read back on each key's real owner directly: nothing landed elsewhere (that would be MOVED).
    for (const key of keys.slice(0, 30)) {
      const port = await ownerPort(key);
      const node = suite.cluster.nodes.find((each) => each.port === port);
      expect(node).toBeDefined();
      expect(String(await suite.cluster.call(node!, 'GET', key))).toBe(`v${keys.indexOf(key)}`);
    }
    const replies = await Promise.all(keys.map((key) => cluster.do('GET', key)));
    expect(replies.map(String)).toEqual(keys.map((_, index) => `v${index}`));
  });

  it('keeps {hash tag} keys together and refuses cross-slot commands before sending', async () => {
    await cluster.do('SET', 'user:{42}:name', 'Ada');
    await cluster.do('SET', 'user:{42}:lang', 'en');
    expect(keySlot('user:{42}:name')).toBe(keySlot('user:{42}:lang'));
    await cluster.do('RENAME', 'user:{42}:lang', 'user:{42}:language');
    expect(String(await cluster.do('GET', 'user:{42}:language'))).toBe('en');
    await expect(cluster.do('RENAME', 'user:{42}:name', 'user:{43}:name')).rejects.toBeInstanceOf(
      CrossSlotError,
    );
    await expect(cluster.do('SUNION', 'a', 'b', 'c')).rejects.toThrow(/different slots/);
  });

  it('passes a signal and a time limit through to the node', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(cluster.doWith({ signal: controller.signal }, 'GET', 'anything')).rejects.toThrow(
      'caller gave up',
    );
    // DEBUG SLEEP holds the key's master: the call on it times out after its own limit.
    const port = await ownerPort('slow');
    const owner = suite.cluster.nodes.find((node) => node.port === port)!;
    const sleeping = suite.cluster.call(owner, 'DEBUG', 'SLEEP', '0.6');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await expect(cluster.doWith({ timeoutMs: 100 }, 'GET', 'slow')).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(performance.now() - started).toBeLessThan(450);
    await sleeping;
  });
});

describe('multi-key commands split by slot', () => {
  it('MSET then MGET across every master, replies in key order', async () => {
    const keys = Array.from({ length: 50 }, (_, index) => `multi:${index}`);
    const slots = new Set(keys.map(keySlot));
    expect(slots.size).toBeGreaterThan(10);
    expect(await cluster.do('MSET', ...keys.flatMap((key, index) => [key, `m${index}`]))).toBe(
      'OK',
    );
    const values = (await cluster.do('MGET', ...keys, 'multi:missing')) as unknown[];
    expect(values.map((value) => (value === null ? null : String(value)))).toEqual([
      ...keys.map((_, index) => `m${index}`),
      null,
    ]);
    expect(await cluster.do('EXISTS', ...keys, 'multi:missing')).toBe(50);
    expect(await cluster.do('TOUCH', ...keys)).toBe(50);
    expect(await cluster.do('DEL', ...keys.slice(0, 20))).toBe(20);
    expect(await cluster.do('UNLINK', ...keys.slice(20), 'multi:missing')).toBe(30);
    expect(await cluster.do('EXISTS', ...keys)).toBe(0);
  });

  it('counts the items of an array argument as arguments', async () => {
    const keys = ['arr:1', 'arr:2', 'arr:3', 'arr:4'];
    expect(
      await cluster.do(
        'MSET',
        keys.flatMap((key) => [key, key]),
      ),
    ).toBe('OK');
    expect(((await cluster.do('MGET', keys)) as Buffer[]).map(String)).toEqual(keys);
    expect(await cluster.do('DEL', keys.slice(0, 2), keys[2] as string, [keys[3] as string])).toBe(
      4,
    );
  });
});

describe('keyless commands routed by the server tips', () => {
  it('DBSIZE sums every master; KEYS gathers from every master; FLUSHALL reaches all', async () => {
    await cluster.do('FLUSHALL');
    const keys = Array.from({ length: 40 }, (_, index) => `tips:${index}`);
    await cluster.do('MSET', ...keys.flatMap((key) => [key, '1']));
    expect(await cluster.do('DBSIZE')).toBe(40);
    const found = ((await cluster.do('KEYS', 'tips:*')) as unknown[]).map(String).sort();
    expect(found).toEqual([...keys].sort());
    // Each master holds a part: the sum above is not one node's count.
    const perMaster = await Promise.all(
      (await suite.cluster.masters()).map((node) => suite.cluster.call(node, 'DBSIZE')),
    );
    expect(perMaster.every((count) => (count as number) < 40)).toBe(true);
    expect(found).toContain(String(await cluster.do('RANDOMKEY')));
    await cluster.do('FLUSHALL');
    expect(await cluster.do('DBSIZE')).toBe(0);
    expect(await cluster.do('RANDOMKEY')).toBeNull();
    // INFO's response tip is `special`: one reply per master, by address.
    const info = (await cluster.do('INFO', 'server')) as Map<string, Buffer>;
    expect([...info.keys()].sort()).toEqual(
      cluster
        .nodes()
        .filter((node) => node.role === 'master')
        .map((node) => node.address)
        .sort(),
    );
    expect(String([...info.values()][0])).toContain('redis_version');
  });

  it('SCRIPT LOAD reaches every node, so EVALSHA works wherever a key lives', async () => {
    const sha = String(await cluster.do('SCRIPT', 'LOAD', 'return redis.call("GET", KEYS[1])'));
    const exists = (await cluster.do('SCRIPT', 'EXISTS', sha, 'f'.repeat(40))) as number[];
    expect(exists).toEqual([1, 0]);
    for (const node of suite.cluster.nodes)
      expect(await suite.cluster.call(node, 'SCRIPT', 'EXISTS', sha)).toEqual([1]);
  });
});

describe('pipelines that span nodes', () => {
  it('answers in send order across masters, errors as values', async () => {
    const pipeline = cluster.pipeline();
    const keys = Array.from({ length: 100 }, (_, index) => `pipe:${index}`);
    for (const key of keys) pipeline.send('SET', key, key);
    pipeline.send('INCR', keys[0] as string); // not an integer: an error reply, in its place
    for (const key of keys) pipeline.send('GET', key);
    const replies = await pipeline.receiveAll();
    expect(replies.slice(0, 100)).toEqual(keys.map(() => 'OK'));
    expect(replies[100]).toMatchObject({ name: 'ReplyError' });
    expect(replies.slice(101).map(String)).toEqual(keys);
  });
});

describe('transactions on the slot master', () => {
  it('WATCH/MULTI/EXEC inside exclusive(), cross-slot commands refused before sending', async () => {
    await cluster.do('SET', 'acct:{7}:balance', 10);
    const result = await cluster.exclusive('acct:{7}', async (conn) => {
      await conn.do('WATCH', 'acct:{7}:balance');
      const balance = Number(await conn.do('GET', 'acct:{7}:balance'));
      await conn.do('MULTI');
      await conn.do('SET', 'acct:{7}:balance', balance - 3);
      await conn.do('LPUSH', 'acct:{7}:log', 'withdrew 3');
      return conn.do('EXEC');
    });
    expect(result).toEqual(['OK', 1]);
    expect(String(await cluster.do('GET', 'acct:{7}:balance'))).toBe('7');
    await expect(
      cluster.exclusive('acct:{7}', (conn) => conn.do('SET', 'acct:{8}:balance', 1)),
    ).rejects.toBeInstanceOf(CrossSlotError);
    expect(await cluster.do('EXISTS', 'acct:{8}:balance')).toBe(0);
  });

  it('MULTI on the shared connections is refused with a pointer to exclusive()', async () => {
    await expect(cluster.do('MULTI')).rejects.toThrow(/exclusive/);
  });
});

describe('scan over every master', () => {
  it('finds every key once, across masters, with MATCH', async () => {
    const keys = Array.from({ length: 120 }, (_, index) => `scan:${index}`);
    await cluster.do('MSET', ...keys.flatMap((key) => [key, '1']));
    await cluster.do('SET', 'other', '1');
    const seen: string[] = [];
    for await (const key of cluster.scan({ match: 'scan:*', count: 20 })) seen.push(String(key));
    expect(seen.sort()).toEqual([...keys].sort());
  });
});

describe('scripts per node', () => {
  it('Script falls back from EVALSHA to EVAL on the node that said NOSCRIPT', async () => {
    await cluster.do('SCRIPT', 'FLUSH');
    const script = new Script(1, 'return redis.call("INCRBY", KEYS[1], ARGV[1])');
    const keys = ['s:{a}', 's:{b}', 's:{c}', 's:{d}'];
    for (const key of keys) expect(await script.do(cluster, key, 5)).toBe(5);
    for (const key of keys) expect(await script.do(cluster, key, 1)).toBe(6);
  });

  it('Functions: FUNCTION LOAD on every master, FCALL routed by key', async () => {
    await cluster.do('FUNCTION', 'FLUSH');
    const library = `#!lua name=counters
redis.register_function('bump', function(keys, args) return redis.call('INCR', keys[1]) end)`;
    expect(String(await cluster.do('FUNCTION', 'LOAD', library))).toBe('counters');
    const keys = ['f:{a}', 'f:{b}', 'f:{c}'];
    for (const key of keys) expect(await cluster.do('FCALL', 'bump', 1, key)).toBe(1);
  });
});

describe('replica reads', () => {
  it('reads from a replica when asked, per call or per cluster; writes stay on masters', async () => {
    await cluster.do('SET', 'replicated', 'yes');
    await cluster.do('WAIT', 1, 1_000).catch(() => {});
    const port = await ownerPort('replicated');
    const replicaOf = async () => {
      const replicas = await suite.cluster.replicas();
      for (const node of replicas) {
        const info = String(await suite.cluster.call(node, 'INFO', 'replication'));
        if (info.includes(`master_port:${port}`)) return node;
      }
      throw new Error('no replica found');
    };
    const replica = await replicaOf();
    // The first replica read starts dialling the replica; the master answers until it is up.
    const servedByReplica = async (read: () => Promise<unknown>) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const before = await commandCount(replica, 'get');
        expect(String(await read())).toBe('yes');
        if ((await commandCount(replica, 'get')) === before + 1) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    };
    expect(
      await servedByReplica(() => cluster.doWith({ readFrom: 'replica' }, 'GET', 'replicated')),
    ).toBe(true);
    const readers = await Cluster.connect({ seeds: suite.cluster.seeds, readFrom: 'replica' });
    try {
      expect(await servedByReplica(() => readers.do('GET', 'replicated'))).toBe(true);
      const master = suite.cluster.nodes.find((node) => node.port === port)!;
      const setsBefore = await commandCount(master, 'set');
      expect(await readers.do('SET', 'replicated', 'again')).toBe('OK');
      expect(await commandCount(master, 'set')).toBe(setsBefore + 1);
    } finally {
      await readers.close();
    }
  });
});

/** How many times `node` ran `command` (INFO commandstats). */
async function commandCount(
  node: Parameters<typeof suite.cluster.call>[0],
  command: string,
): Promise<number> {
  const stats = String(await suite.cluster.call(node, 'INFO', 'commandstats'));
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats);
  return match === null ? 0 : Number(match[1]);
}

describe('nodes() and close()', () => {
  it('lists every master and replica with its slots', async () => {
    const nodes = cluster.nodes();
    expect(nodes.filter((node) => node.role === 'master')).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
    const covered = nodes
      .filter((node) => node.role === 'master')
      .flatMap((node) => node.slots)
      .reduce((sum, [first, last]) => sum + last - first + 1, 0);
    expect(covered).toBe(16_384);
  });

  it('refuses calls after close() with ERR_CLOSED', async () => {
    const other = await Cluster.connect({ seeds: suite.cluster.seeds });
    await other.do('SET', 'closing', '1');
    await other.close();
    await expect(other.do('GET', 'closing')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});
