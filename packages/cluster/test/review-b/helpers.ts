// Shared helpers for review B's tests.
import type { Reply } from '@x/resp';
import type { RedisCluster, ClusterNode as ServerNode } from '@x/test-redis';
import { keySlot } from '../../src/index.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A name `prefix-N` whose slot `node` owns, as `node` itself sees its slots. */
export async function nameOn(
  cluster: RedisCluster,
  node: ServerNode,
  prefix: string,
  skip = 0,
): Promise<string> {
  const slots = (await cluster.call(node, 'CLUSTER', 'SLOTS')) as Reply[];
  const mine: [number, number][] = [];
  for (const range of slots) {
    const [first, last, master] = range as [number, number, Reply[]];
    if (Number(master[1]) === node.port) mine.push([first, last]);
  }
  let found = 0;
  for (let index = 0; index < 100_000; index++) {
    const name = `${prefix}-${index}`;
    const slot = keySlot(name);
    if (!mine.some(([first, last]) => slot >= first && slot <= last)) continue;
    if (found++ === skip) return name;
  }
  throw new Error(`no name with prefix ${prefix} on ${node.port}`);
}

/** The port of the master of `slot` as `asked` sees it (null when none). */
export async function ownerPort(
  cluster: RedisCluster,
  asked: ServerNode,
  slot: number,
): Promise<number | null> {
  const slots = (await cluster.call(asked, 'CLUSTER', 'SLOTS')) as Reply[];
  for (const range of slots) {
    const [first, last, master] = range as [number, number, Reply[]];
    if (slot >= first && slot <= last) return Number(master[1]);
  }
  return null;
}

/** The replica of `master`, asked of the replicas themselves. */
export async function replicaOf(cluster: RedisCluster, master: ServerNode): Promise<ServerNode> {
  for (const node of cluster.nodes) {
    if (node === master) continue;
    const role = (await cluster.call(node, 'ROLE').catch(() => null)) as Reply[] | null;
    if (role !== null && String(role[0]) === 'slave' && Number(role[2]) === master.port)
      return node;
  }
  throw new Error(`${master.port} has no replica`);
}

/** Polls `check` every 20 ms until it is true; throws after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 15_000) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Settles `promise` or reports that it was still pending after `ms` (review A's helper). */
export { within } from '../review-a/helpers.js';
