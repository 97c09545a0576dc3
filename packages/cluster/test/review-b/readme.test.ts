import { readFileSync } from 'node:fs';
// Review B: the values the README's first example says it prints. README:
//   await cluster.do('SET', 'user:{42}:name', 'Ada');
//   ...
//   await cluster.do('MSET', 'a', '1', 'b', '2', 'c', '3');
//   ...
//   console.log(await cluster.do('DBSIZE')); // 3: asked of every master, summed
import { useRedisCluster } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

const suite = useRedisCluster({ replicasPerMaster: 0 });
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.connect({ seeds: suite.cluster.seeds });
});
afterAll(async () => {
  await cluster?.close({ timeoutMs: 2_000 });
});

describe('the README example, on an empty cluster', () => {
  it('prints what its comments say', async () => {
    await cluster.do('FLUSHALL');
    await cluster.do('SET', 'user:{42}:name', 'Ada');
    expect(String(await cluster.do('GET', 'user:{42}:name'))).toBe('Ada');
    await cluster.doWith({ timeoutMs: 500 }, 'GET', 'user:{42}:name');
    await cluster.do('MSET', 'a', '1', 'b', '2', 'c', '3');
    expect(((await cluster.do('MGET', 'a', 'b', 'c')) as Buffer[]).map(String)).toEqual([
      '1',
      '2',
      '3',
    ]);
    // Was: the README's comment said 3; the example holds 4 keys (user:{42}:name, a, b, c).
    expect(await cluster.do('DBSIZE')).toBe(4);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain("console.log(await cluster.do('DBSIZE')); // 4");
  });
});
