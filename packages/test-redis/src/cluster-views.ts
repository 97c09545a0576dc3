import type { Reply } from '@x/resp';
import {
  ask,
  infoField,
  isRefused,
  parseSlots,
  type SlotRange,
  sleep,
  slotMapText,
  text,
} from './cluster-admin.js';

/** A node's role: `master` owns slots (or may), `replica` copies a master. */
export type ClusterRole = 'master' | 'replica';

/** What one node says about the cluster. */
export interface NodeView<Node> {
  readonly node: Node;
  readonly clusterState: string | undefined;
  readonly ranges: SlotRange[];
  /** slotMapText() of `ranges`: equal for two nodes that agree. */
  readonly map: string;
  readonly role: ClusterRole;
  /** For a replica: whether its replication link is up. */
  readonly linkUp: boolean;
}

/** Returns what is still wrong with `views`, or undefined when nothing is. */
export type Check<Node> = (views: NodeView<Node>[]) => string | undefined;

/** What each of `nodes` that answers says about the cluster; dead nodes are left out. */
export async function viewsOf<Node extends { readonly port: number }>(
  nodes: readonly Node[],
): Promise<NodeView<Node>[]> {
  const views = await Promise.all(
    nodes.map(async (node): Promise<NodeView<Node> | undefined> => {
      let replies: Reply[];
      try {
        replies = await ask(node.port, [['CLUSTER', 'INFO'], ['CLUSTER', 'SLOTS'], ['ROLE']]);
      } catch (error) {
        if (isRefused(error)) return undefined;
        throw error;
      }
      const [info, slots, role] = replies;
      const ranges = parseSlots(slots);
      const fields = role as Reply[];
      const isMaster = text(fields[0]) === 'master';
      return {
        node,
        clusterState: infoField(info, 'cluster_state'),
        ranges,
        map: slotMapText(ranges),
        role: isMaster ? 'master' : 'replica',
        // ROLE on a replica: [slave, master ip, master port, state, offset]; 'connected' is
        // INFO's master_link_status:up.
        linkUp: isMaster || text(fields[3]) === 'connected',
      };
    }),
  );
  return views.filter((view) => view !== undefined);
}

/**
 * Waits until every one of `nodes` that answers is in cluster_state:ok, all agree on the slot
 * map, every replica is linked to its master, and `check` finds nothing wrong.
 */
export function waitForViews<Node extends { readonly port: number }>(
  nodes: readonly Node[],
  timeoutMs: number,
  what: string,
  check: Check<Node>,
): Promise<void> {
  return waitFor(timeoutMs, what, async () => {
    const views = await viewsOf(nodes);
    const first = views[0];
    if (!first) return 'no node answers';
    for (const view of views) {
      if (view.clusterState !== 'ok') return `${view.node.port} is in state ${view.clusterState}`;
      if (view.map !== first.map)
        return `${view.node.port} sees ${view.map} but ${first.node.port} sees ${first.map}`;
      if (!view.linkUp) return `replica ${view.node.port} is not linked to its master`;
    }
    return check(views);
  });
}

/** Polls `problem` until it finds none; rejects with the last one after `timeoutMs`. */
export async function waitFor(
  timeoutMs: number,
  what: string,
  problem: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      last = await problem();
      if (last === undefined) return;
    } catch (error) {
      last = String(error);
    }
    if (performance.now() > deadline)
      throw new Error(`waited ${timeoutMs} ms for ${what}; last: ${last}`);
    await sleep(25);
  }
}
