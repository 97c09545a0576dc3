import type { Arg } from '@x/resp';
import { askOk, evenRanges, slotMapText, text } from './cluster-admin.js';
import { waitFor, waitForViews } from './cluster-views.js';

/** A started node that form() joins: its id, address and cluster bus port. */
export interface FormingNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly server: { readonly clusterPort: number | undefined };
}

/** Assigns slots, joins the nodes, attaches the replicas and waits for the expected slot map. */
export async function form(
  nodes: FormingNode[],
  masterCount: number,
  timeoutMs: number,
): Promise<void> {
  const masters = nodes.slice(0, masterCount);
  const ranges = evenRanges(masterCount);
  // Distinct config epochs before the nodes meet, so none has to resolve a collision later.
  await Promise.all(
    nodes.map((node, index) => {
      const commands: Arg[][] = [['CLUSTER', 'SET-CONFIG-EPOCH', index + 1]];
      const range = ranges[index];
      if (range) commands.push(['CLUSTER', 'ADDSLOTSRANGE', ...range]);
      return askOk(node.port, commands);
    }),
  );
  // Every node meets every other: the handshakes finish without waiting for gossip.
  await Promise.all(
    nodes.map((node) =>
      askOk(
        node.port,
        nodes
          .filter((other) => other !== node)
          .map((other) => [
            'CLUSTER',
            'MEET',
            other.host,
            other.port,
            other.server.clusterPort as number,
          ]),
      ),
    ),
  );
  // A replica can only REPLICATE a master it knows (handshake done).
  const replicas = nodes.slice(masterCount);
  const masterOf = (index: number) => masters[index % masterCount] as FormingNode;
  await waitFor(timeoutMs, 'every node to know the masters', async () => {
    for (const replica of replicas) {
      const [reply] = await askOk(replica.port, [['CLUSTER', 'NODES']]);
      const lines = text(reply).split('\n');
      for (const master of masters) {
        const line = lines.find((candidate) => candidate.startsWith(master.id));
        if (!line || line.includes('handshake') || line.includes('noaddr'))
          return `${replica.port} does not know ${master.port} yet`;
      }
    }
    return undefined;
  });
  await Promise.all(
    replicas.map((replica, index) =>
      askOk(replica.port, [['CLUSTER', 'REPLICATE', masterOf(index).id]]),
    ),
  );
  const expected = slotMapText(
    masters.map((master, index) => {
      const [start, end] = ranges[index] as [number, number];
      const own = replicas.filter((_, replicaIndex) => masterOf(replicaIndex) === master);
      return { start, end, master, replicas: own };
    }),
  );
  await waitForViews(nodes, timeoutMs, 'the cluster to form', (views) => {
    if (views.length < nodes.length) return 'a node does not answer';
    const other = views.find((view) => view.map !== expected);
    return other && `${other.node.port} sees ${other.map}`;
  });
}
