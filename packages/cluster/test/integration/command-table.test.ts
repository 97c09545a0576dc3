import { type Connection, dial } from '@x/conn';
import { type Arg, type Reply, ReplyError } from '@x/resp';
import { type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandInfo, CommandTable, keyIndexes } from '../../src/index.js';

// One cluster-enabled server: the same COMMAND reply a cluster node gives, and COMMAND GETKEYS
// to check key positions against.
let server: RedisServer;
let conn: Connection;
let table: CommandTable;
let resp3Table: CommandTable;
let resp2Reply: Reply;
let resp3Reply: Reply;

beforeAll(async () => {
  server = await startRedisServer({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  });
  conn = await dial(server.url);
  resp2Reply = await conn.do('COMMAND');
  table = CommandTable.fromReply(resp2Reply);
  const resp3 = await dial(server.url, { protocol: 3 });
  resp3Reply = await resp3.do('COMMAND');
  resp3Table = CommandTable.fromReply(resp3Reply);
  await resp3.close();
});
afterAll(async () => {
  await conn?.close();
  await server?.stop();
});

/** The command `words` runs, looked up as a router would. */
function infoOf(words: readonly Arg[]): CommandInfo {
  const info = table.lookup(String(words[0]), words.slice(1));
  if (info === undefined) throw new Error(`no command for ${words.join(' ')}`);
  return info;
}

/** The keys keyIndexes finds in a call, as text; null when it cannot tell. */
function keysOf(words: readonly Arg[]): string[] | null {
  const args = words.slice(1);
  const indexes = keyIndexes(infoOf(words), args);
  return indexes?.map((index) => String(args[index])) ?? null;
}

/** The server's COMMAND GETKEYS for many calls in one round trip: key names, or the error. */
async function serverKeys(calls: readonly (readonly Arg[])[]): Promise<(string[] | ReplyError)[]> {
  for (const words of calls) conn.send('COMMAND', 'GETKEYS', ...words);
  const replies = (await conn.do('')) as Reply[];
  return replies.map((reply) =>
    reply instanceof ReplyError ? reply : (reply as Buffer[]).map((key) => key.toString()),
  );
}

describe('CommandTable from a real server', () => {
  it('parses COMMAND in RESP2 and RESP3 into identical tables', () => {
    // The two replies differ in shape: key specs are flat arrays in RESP2, maps in RESP3.
    const getSpec = (reply: Reply) => {
      const get = (reply as Reply[][]).find((entry) => String(entry[0]) === 'get')!;
      return (get[8] as Reply[])[0];
    };
    expect(getSpec(resp2Reply)).toBeInstanceOf(Array);
    expect(getSpec(resp3Reply)).toBeInstanceOf(Map);
    expect(table.size).toBeGreaterThan(200);
    expect([...resp3Table.commands()]).toEqual([...table.commands()]);
  });

  it.each([
    ['GET k', ['k']],
    ['SET k v EX 10', ['k']],
    ['MSET k1 v1 k2 v2', ['k1', 'k2']],
    ['MGET a b c', ['a', 'b', 'c']],
    ['DEL a b c', ['a', 'b', 'c']],
    ['EXISTS a b', ['a', 'b']],
    ['BLPOP a b 0', ['a', 'b']],
    ['BLMPOP 0 2 a b LEFT', ['a', 'b']],
    ['LMPOP 2 a b RIGHT COUNT 3', ['a', 'b']],
    ['ZINTER 2 a b WEIGHTS 1 2', ['a', 'b']],
    ['ZUNIONSTORE dst 2 a b', ['dst', 'a', 'b']],
    ['SINTERCARD 2 a b LIMIT 1', ['a', 'b']],
    ['EVAL script 2 k1 k2 a', ['k1', 'k2']],
    ['EVALSHA sha 2 k1 k2 a', ['k1', 'k2']],
    ['EVAL script 0 a', []],
    ['FCALL f 1 k a', ['k']],
    ['FCALL_RO f 0', []],
    ['XREAD COUNT 2 STREAMS s1 s2 0 0', ['s1', 's2']],
    ['XREADGROUP GROUP g c STREAMS s 0', ['s']],
    ['XREADGROUP GROUP STREAMS c COUNT 1 STREAMS s 0', ['s']],
    ['GEORADIUS k 0 0 1 km STORE d', ['k', 'd']],
    ['GEORADIUS k 0 0 1 km STOREDIST d', ['k', 'd']],
    ['GEORADIUSBYMEMBER k m 1 km STORE d', ['k', 'd']],
    ['SORT k STORE d', ['k', 'd']],
    ['SORT k BY w_* LIMIT 0 5 GET h_* ALPHA STORE d', ['k', 'd']],
    ['SORT k', ['k']],
    ['SORT_RO k BY w_*', ['k']],
    ['MIGRATE host 6379 k 0 5000', ['k']],
    ['MIGRATE host 6379 "" 0 5000 COPY AUTH KEYS KEYS a b', ['a', 'b']],
    ['OBJECT ENCODING k', ['k']],
    ['object encoding k', ['k']],
    ['MEMORY USAGE k SAMPLES 5', ['k']],
    ['XINFO STREAM k FULL', ['k']],
    ['PFCOUNT a b', ['a', 'b']],
    ['RENAME a b', ['a', 'b']],
    ['COPY a b REPLACE', ['a', 'b']],
    ['LMOVE a b LEFT RIGHT', ['a', 'b']],
    ['SMOVE a b m', ['a', 'b']],
    ['SUBSCRIBE a b', []],
    ['PUBLISH ch m', []],
    ['PING', []],
    ['DBSIZE', []],
    ['FLUSHALL', []],
    ['KEYS *', []],
    ['SCAN 0 MATCH *', []],
    ['SCRIPT LOAD s', []],
    ['CLUSTER KEYSLOT k', []],
  ])('%s has keys %j', (call, keys) => {
    expect(keysOf(words(call))).toEqual(keys);
  });

  it('reports shard channels as keys, flagged channelKeys', () => {
    expect(keysOf(words('SPUBLISH ch m'))).toEqual(['ch']);
    expect(keysOf(words('SSUBSCRIBE a b'))).toEqual(['a', 'b']);
    expect(keysOf(words('SUNSUBSCRIBE'))).toEqual([]);
    for (const name of ['spublish', 'ssubscribe', 'sunsubscribe']) {
      expect(table.get(name)).toMatchObject({ channelKeys: true, pubsub: true });
    }
    expect(table.get('get')?.channelKeys).toBe(false);
    expect(table.get('subscribe')?.channelKeys).toBe(false);
  });

  it.each([
    ['EVAL script two k', 'a key count that is not a number'],
    ['EVAL script 3 k', 'a key count past the end'],
    ['EVAL script -1', 'a negative key count'],
    ['ZUNIONSTORE dst 02 a b', 'a key count with a leading zero'],
    ['GET', 'no key where one must be'],
    ['OBJECT ENCODING', 'no key after the subcommand'],
    ['MIGRATE host 6379 k 0 5000 KEYS a b', 'KEYS with a key'],
  ])('returns null for %s (%s)', (call) => {
    expect(keysOf(words(call))).toBeNull();
  });

  it('returns no keys for a tail range with nothing left (the server finds none either)', () => {
    expect(keysOf(words('PFMERGE dest'))).toEqual(['dest']);
    expect(keysOf(words('XREAD COUNT 1 STREAMS'))).toEqual([]);
  });

  it('looks commands up in any case, and subcommands through args[0]', () => {
    const get = table.get('get');
    expect(table.lookup('GET', ['k'])).toBe(get);
    expect(table.lookup('gEt', ['k'])).toBe(get);
    expect(table.lookup('Get', ['k'])).toBe(get);
    const encoding = table.lookup('object', ['ENCODING', 'k']);
    expect(encoding?.name).toBe('object|encoding');
    expect(table.lookup('OBJECT', [Buffer.from('Encoding'), 'k'])).toBe(encoding);
    expect(table.get('OBJECT|encoding')).toBe(encoding);
    expect(table.lookup('object', [])?.name).toBe('object');
    expect(table.lookup('object', ['nosuch', 'k'])).toBeUndefined();
    expect(table.lookup('nosuch', [])).toBeUndefined();
    expect(table.get('object')?.subcommands?.get('encoding')).toBe(encoding);
  });

  it('keeps the flags and tips the server reports', () => {
    expect(table.get('get')).toMatchObject({
      readonly: true,
      write: false,
      requestPolicy: undefined,
      responsePolicy: undefined,
    });
    expect(table.get('set')).toMatchObject({ readonly: false, write: true });
    expect(table.get('blpop')).toMatchObject({ blocking: true, write: true });
    expect(table.get('flushall')?.flags.has('write')).toBe(true);
    expect(table.get('xread')).toMatchObject({ readonly: true, blocking: true, movableKeys: true });
    const tips: [string, string | undefined, string | undefined, boolean][] = [
      ['dbsize', 'all_shards', 'agg_sum', false],
      ['keys', 'all_shards', undefined, true],
      ['flushall', 'all_shards', 'all_succeeded', false],
      ['script|load', 'all_nodes', 'all_succeeded', false],
      ['script|exists', 'all_shards', 'agg_logical_and', false],
      ['ping', 'all_shards', 'all_succeeded', false],
      ['scan', 'special', undefined, true],
      ['mget', 'multi_shard', undefined, false],
      ['mset', 'multi_shard', 'all_succeeded', false],
      ['del', 'multi_shard', 'agg_sum', false],
      ['msetnx', 'multi_shard', 'agg_min', false],
      ['wait', 'all_shards', 'agg_min', false],
      ['function|kill', 'all_shards', 'one_succeeded', false],
      ['info', 'all_shards', 'special', true],
      ['randomkey', 'all_shards', undefined, true],
      ['get', undefined, undefined, false],
    ];
    for (const [name, request, response, nondeterministic] of tips) {
      expect(table.get(name), name).toMatchObject({
        requestPolicy: request,
        responsePolicy: response,
        nondeterministicOutput: nondeterministic,
      });
    }
    expect(table.get('config|get')).toMatchObject({ admin: true });
    expect(table.get('script|load')?.flags.has('noscript')).toBe(true);
  });

  it('agrees with the server on the keys of the examples', async () => {
    const calls = [
      'ZUNIONSTORE dst 2 a b',
      'XREAD COUNT 2 STREAMS s1 s2 0 0',
      'SORT k BY w_* LIMIT 0 5 GET h_* ALPHA STORE d',
      'MIGRATE host 6379 "" 0 5000 COPY AUTH KEYS KEYS a b',
      'GEORADIUS k 0 0 1 km STORE d',
      'OBJECT ENCODING k',
    ].map(words);
    const expected = await serverKeys(calls);
    expect(calls.map(keysOf)).toEqual(expected);
  });
});

/** A call's words split at spaces; `""` is the empty string. */
function words(call: string): string[] {
  return call.split(' ').map((word) => (word === '""' ? '' : word));
}
