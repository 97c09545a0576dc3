import { type Client, type ClientOptions, createClient } from '@x/client';
import { type Connection, ConnectionError, type DialOptions, dial } from '@x/conn';
import type { NodeAddress } from './node-address.js';

/** How a node's connection is used: masters for everything, replicas for reads (READONLY). */
export type NodeMode = 'master' | 'replica';

/** A node's client in one mode, with the node's key and address: what a call is sent to. */
export interface NodeTarget {
  /** `host:port`. */
  readonly key: string;
  readonly address: NodeAddress;
  readonly client: Client;
}

/** What every node client is made with: the client options, and how to dial a node. */
export interface NodeClientSettings {
  readonly clientOptions: ClientOptions;
  readonly dialOptions: Omit<DialOptions, 'signal' | 'host' | 'port' | 'path'>;
  /** Called when a node client loses its connection: the topology may have changed. */
  readonly onLost: (key: string) => void;
}

/**
 * NodeClients holds one @x/client Client per node and mode, made on first use:
 *
 *   "10.0.0.1:7000" ─► { master: Client, replica: null }
 *   "10.0.0.4:7003" ─► { master: null,   replica: Client (READONLY on every connection) }
 *
 * A client whose node no longer plays its mode in the map is retired (`retireAllBut`): closed
 * gracefully while connected, destroyed while not, so that calls waiting for a dead node fail
 * at once (sent: false) and the router sends them where the slot lives now.
 */
export class NodeClients {
  readonly #settings: NodeClientSettings;
  readonly #clients = new Map<string, NodeTarget>();
  readonly #retired = new WeakSet<Client>();
  #closed = false;

  constructor(settings: NodeClientSettings) {
    this.#settings = settings;
  }

  /** The client for `key` in `mode`, made (and connecting) when there is none. */
  get(key: string, address: NodeAddress, mode: NodeMode): NodeTarget {
    const id = mode === 'master' ? key : `${key} ro`;
    let target = this.#clients.get(id);
    if (target === undefined) {
      if (this.#closed) throw new ConnectionError('cluster closed', { code: 'ERR_CLOSED' });
      target = { key, address, client: this.#make(address, mode, key) };
      this.#clients.set(id, target);
    }
    return target;
  }

  /** The client for `key` in `mode` if one exists. */
  peek(key: string, mode: NodeMode): Client | undefined {
    return this.#clients.get(mode === 'master' ? key : `${key} ro`)?.client;
  }

  /** True when `client` was retired by the cluster: its failures mean "go elsewhere". */
  isRetired(client: Client): boolean {
    return this.#retired.has(client);
  }

  /** Every client, with its node and mode. */
  *entries(): IterableIterator<{ key: string; mode: NodeMode; client: Client }> {
    for (const [id, { key, client }] of this.#clients)
      yield { key, mode: id.endsWith(' ro') ? 'replica' : 'master', client };
  }

  /** Retires every client whose node is not in `masters` (master mode) or `replicas` (replica mode). */
  retireAllBut(masters: ReadonlySet<string>, replicas: ReadonlySet<string>): string[] {
    const retired: string[] = [];
    for (const [id, { key, client }] of this.#clients) {
      if ((id.endsWith(' ro') ? replicas : masters).has(key)) continue;
      this.#clients.delete(id);
      this.#retire(client);
      retired.push(id);
    }
    return retired;
  }

  /** Closes every client gracefully. */
  async close(): Promise<void> {
    this.#closed = true;
    const clients = [...this.#clients.values()].map((target) => target.client);
    this.#clients.clear();
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
  }

  /** Destroys every client at once. */
  destroy(reason: unknown): void {
    this.#closed = true;
    for (const { client } of this.#clients.values()) client.destroy(reason);
    this.#clients.clear();
  }

  #retire(client: Client): void {
    this.#retired.add(client);
    if (client.status === 'ready') {
      // Calls already written finish (a moved slot answers MOVED, and they go on from there).
      client.close({ timeoutMs: 5_000 }).catch(() => {});
    } else {
      client.destroy(new Error('the node left the cluster map'));
    }
  }

  #make(address: NodeAddress, mode: NodeMode, key: string): Client {
    const { dialOptions, clientOptions } = this.#settings;
    const client = createClient(
      ({ signal }) => dialNode(address, mode, { ...dialOptions, signal }),
      clientOptions,
    );
    client.onStatus((event) => {
      // A connection lost, or a node that could not be reached at all (its first dial failed).
      if (event.status === 'reconnecting' || (event.status === 'connecting' && event.failures > 0))
        this.#settings.onLost(key);
    });
    return client;
  }
}

/** Dials one node; a replica-mode connection says READONLY before anyone uses it. */
export async function dialNode(
  address: NodeAddress,
  mode: NodeMode,
  options: DialOptions,
): Promise<Connection> {
  const conn = await dial(undefined, { ...options, host: address.host, port: address.port });
  if (mode === 'master') return conn;
  try {
    await conn.doWith(options.signal === undefined ? {} : { signal: options.signal }, 'READONLY');
  } catch (error) {
    conn.destroy();
    throw error;
  }
  return conn;
}
