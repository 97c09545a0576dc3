import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, __internal as clientInternal, NeedsOwnConnectionError } from '@x/client';
import {
  __internal,
  type CallOptions,
  ConnectionError,
  type Pipeline,
  TimeoutError,
} from '@x/conn';
import type { PooledConn } from '@x/pool';
import { type Arg, type Reply, ReplyError } from '@x/resp';
import {
  type ClusterCallOptions,
  type ClusterOptions,
  type ClusterSettings,
  type ReadFrom,
  readClusterOptions,
} from './cluster-options.js';
import { ClusterPipeline } from './cluster-pipeline.js';
import { ClusterSubscriber, type ClusterSubscriberOptions } from './cluster-subscriber.js';
import { type CommandInfo, type CommandTable, readKeyIndexes } from './command-table.js';
import { type Attempt, ClusterRoutingError, CrossSlotError } from './errors.js';
import { guardSlot } from './exclusive-guard.js';
import { fetchSlotMap } from './fetch-slot-map.js';
import { firstContact } from './first-contact.js';
import { keySlot } from './key-slot.js';
import { mergeReplies } from './merge-replies.js';
import { addressKey, mapAddress, type NodeAddress } from './node-address.js';
import { NodeClients, type NodeMode, type NodeTarget } from './node-clients.js';
import { isTransient, redirectOf } from './redirect.js';
import type { SlotMap } from './slot-map.js';
import { Topology } from './topology.js';

const { armCallOptions, checkCallOptions, hasCallLimits, LongTimer } = __internal;
const { callRecovering } = clientInternal;

/** A node as `nodes()` reports it. */
export interface ClusterNode {
  /** `host:port`, after the NAT map. */
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a master, the slot ranges it serves (`[first, last]`); for a replica, its master's. */
  readonly slots: readonly (readonly [number, number])[];
  /** For a replica, its master's address. */
  readonly master?: string;
  /** The node client's status, or 'idle' when nothing has been sent to the node yet. */
  readonly status: Client['status'] | 'idle';
}

/** ScanOptions filter `cluster.scan()`: SCAN's MATCH, COUNT and TYPE, sent to every master. */
export interface ScanOptions {
  match?: string;
  count?: number;
  type?: string;
  /** Stops the scan: the iterator rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The state of one call past its first try: built only when a try fails. */
interface Retry {
  readonly deadline: number;
  readonly attempts: Attempt[];
  redirects: number;
  transientSince: number;
  transientTries: number;
}

/**
 * Cluster is a Redis Cluster client: one @x/client Client per node, each call routed to the
 * master (or, for reads on request, a replica) serving its keys' slot, following MOVED and ASK,
 * waiting out failovers, and splitting multi-key commands across slots.
 *
 *   call ─► COMMAND INFO key specs ─► CRC16 slot ─► slot map ─► node's Client ─► reply
 *                                                        ▲            │ MOVED / ASK / TRYAGAIN /
 *                                           CLUSTER SLOTS (single-flight)   CLUSTERDOWN / node lost
 *                                                        └────────────┘
 */
export class Cluster {
  readonly #settings: ClusterSettings;
  readonly #table: CommandTable;
  readonly #nodes: NodeClients;
  readonly #topology: Topology;
  /** The next periodic refresh (any interval, also past setTimeout's 24.8 days). */
  #timer: InstanceType<typeof LongTimer> | null = null;
  #periodic = true;
  #nextShard = 0;
  #nextReplica = 0;
  /** What new calls reject with once close() or destroy() ran. */
  #closed: ConnectionError | null = null;
  /** destroy() ran (or close() ran out of time): nothing is retried or redirected any more. */
  #destroyed = false;
  #closing: Promise<void> | null = null;
  /** Calls redirecting or retrying (their first try failed): close() waits for them. */
  #inFlight = 0;
  /** Aborted by destroy(): backoff waits end at once. */
  readonly #lifetime = new AbortController();
  /** Wakes close() when the last recovery settles. */
  #drained: (() => void) | null = null;
  /** Set while some master cannot be reached: the map is asked again until it can, or moves. */
  #watching = false;

  /**
   * Asks the seeds for the cluster's map and the server's command table, then dials every master.
   * Rejects with ClusterConnectError naming each seed and why it did not do.
   */
  static async connect(options: ClusterOptions): Promise<Cluster> {
    const settings = readClusterOptions(options);
    const { map, table } = await firstContact(settings);
    return new Cluster(settings, map, table);
  }

  /** Use Cluster.connect(). */
  constructor(settings: ClusterSettings, map: SlotMap, table: CommandTable) {
    this.#settings = settings;
    this.#table = table;
    this.#nodes = new NodeClients({
      clientOptions: settings.clientOptions,
      dialOptions: settings.dialOptions,
      onLost: () => this.#watchLostNodes(),
    });
    this.#topology = new Topology(map, {
      fetch: () => this.#fetch(),
      minIntervalMs: settings.minRefreshIntervalMs,
      changed: (next) => this.#mapChanged(next),
      failed: () => {},
    });
    this.#refreshEvery(settings.refreshIntervalMs);
    this.#dialEveryNode(map);
  }

  /** Runs a command on the node serving its keys (any master for a keyless command). */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(undefined, command, args);
  }

  /** `do` with a signal, a time limit covering every redirect and retry, `idempotent`, `readFrom`. */
  doWith(options: ClusterCallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean')
      return Promise.reject(
        new TypeError(`idempotent must be true or false, got ${typeof options.idempotent}`),
      );
    if (
      options.readFrom !== undefined &&
      options.readFrom !== 'master' &&
      options.readFrom !== 'replica'
    )
      return Promise.reject(
        new TypeError(`readFrom must be 'master' or 'replica', got ${String(options.readFrom)}`),
      );
    return this.#call(options, command, args);
  }

  /**
   * A pipeline whose commands may live on any node: each is routed (and redirected) on its own
   * as it is sent, every node's share goes out at once, and replies come back in send order.
   */
  pipeline(): ClusterPipeline {
    return new ClusterPipeline((command, args, after) =>
      this.#call(
        after === undefined ? undefined : ({ [afterPrevious]: after } as Pipelined),
        command,
        args,
      ),
    );
  }

  /**
   * Lends `work` a connection of its own on the master serving `key`'s slot (WATCH/MULTI/EXEC,
   * blocking commands). A command there whose keys hash to another slot throws CrossSlotError
   * before it is sent.
   */
  exclusive<T>(
    key: Arg,
    work: (conn: PooledConn) => T | Promise<T>,
    options?: CallOptions,
  ): Promise<T> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    let slot: number;
    try {
      slot = keySlot(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const shard = this.#topology.map.shardOf(slot);
    if (shard === undefined)
      return Promise.reject(
        new ClusterRoutingError(`no node serves slot ${slot}`, 'ERR_CLUSTER_UNAVAILABLE', []),
      );
    const map = this.#topology.map;
    const { client } = this.#client(shard.master, 'master', map);
    const host = (map.addresses.get(shard.master) as NodeAddress).host;
    return client.exclusive(async (conn) => {
      try {
        return await work(guardSlot(conn, slot, (command, args) => this.#slotsOf(command, args)));
      } catch (error) {
        // The slot moved: the next exclusive() for it should find the new master.
        const redirect = redirectOf(error, host);
        if (redirect?.kind === 'MOVED') {
          const address = mapAddress(redirect.address, this.#settings.natMap);
          this.#topology.patch(this.#topology.map.moveSlot(redirect.slot, address));
          this.#topology.refreshSoon();
        }
        throw error;
      }
    }, options);
  }

  /**
   * Every key of every master, shard by shard (SCAN with MATCH/COUNT/TYPE). A key may be seen
   * twice or missed when its slot moves during the scan, as SCAN itself allows across rehashing.
   */
  async *scan(options: ScanOptions = {}): AsyncGenerator<Reply, void, undefined> {
    const extra: Arg[] = [];
    if (options.match !== undefined) extra.push('MATCH', options.match);
    if (options.count !== undefined) extra.push('COUNT', options.count);
    if (options.type !== undefined) extra.push('TYPE', options.type);
    const call: ClusterCallOptions = options.signal === undefined ? {} : { signal: options.signal };
    if (this.#closed !== null) throw this.#closed;
    // A shard is known by its nodes, not by a slot: a slot may move to another master mid-scan,
    // and a cursor means something only to the node that gave it. After a failover the shard's
    // promoted replica goes on with the cursor (it holds the same data).
    const shards = this.#topology.map.shards.map(
      (shard) => new Set([shard.master, ...shard.replicas]),
    );
    for (const nodes of shards) {
      let cursor: Reply = '0';
      let servedBy: string | undefined;
      do {
        const slot = this.#slotOfShard(nodes);
        if (slot === null) break; // every node of the shard left the cluster
        // A cursor is a position in one server's hash table (seeded at random on start): after a
        // failover it means nothing to the promoted replica, so the shard starts over there.
        const master = this.#topology.map.shardOf(slot)?.master;
        if (servedBy !== undefined && master !== servedBy) cursor = '0';
        servedBy = master;
        const reply = await this.#route(slot, null, call, 'SCAN', [cursor as Arg, ...extra], false);
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
          throw new TypeError('SCAN did not reply [cursor, keys]');
        cursor =
          reply[0] instanceof Uint8Array ? Buffer.from(reply[0]).toString() : (reply[0] ?? '0');
        yield* reply[1];
      } while (cursor !== '0');
    }
  }

  /** A slot served now by a master among `nodes`; null when none of them masters a slot. */
  #slotOfShard(nodes: ReadonlySet<string>): number | null {
    for (const shard of this.#topology.map.shards)
      if (nodes.has(shard.master)) return shard.ranges[0]?.[0] ?? null;
    return null;
  }

  /**
   * A Subscriber for the cluster (see ClusterSubscriber): channels and patterns on one master,
   * shard channels on the master of each one's slot, followed across failovers and slot moves.
   * It has connections of its own; close it before the cluster.
   */
  subscriber(options?: ClusterSubscriberOptions): ClusterSubscriber {
    if (this.#closed !== null) throw this.#closed;
    const host = {
      map: () => this.#topology.map,
      refresh: () => this.#topology.refresh().catch(() => {}),
      dialOptions: this.#settings.dialOptions,
      retryWaitMs: this.#settings.retryWaitMs,
    };
    return new ClusterSubscriber(host, options);
  }

  /** Every node in the current map, masters first in slot order, each followed by its replicas. */
  nodes(): ClusterNode[] {
    const result: ClusterNode[] = [];
    for (const shard of this.#topology.map.shards) {
      result.push({
        address: shard.master,
        role: 'master',
        slots: shard.ranges,
        status: this.#nodes.peek(shard.master, 'master')?.status ?? 'idle',
      });
      for (const replica of shard.replicas)
        result.push({
          address: replica,
          role: 'replica',
          slots: shard.ranges,
          master: shard.master,
          status: this.#nodes.peek(replica, 'replica')?.status ?? 'idle',
        });
    }
    return result;
  }

  /**
   * Asks the cluster for its map now (single-flight with the automatic refreshes); rejects with
   * ClusterConnectError when no node gave one.
   */
  refresh(): Promise<void> {
    return this.#topology.refresh();
  }

  /**
   * Closes gracefully: new calls reject with ConnectionError (`ERR_CLOSED`) at once; calls
   * already issued finish, redirects and retries included; then every node client closes. When
   * `options.timeoutMs` passes or `options.signal` aborts first, the cluster is destroyed: what
   * is still pending rejects.
   */
  close(options?: CallOptions): Promise<void> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
    if (this.#closing !== null) return this.#closing;
    this.#closed ??= new ConnectionError('cluster closed', { code: 'ERR_CLOSED' });
    const disarm =
      options !== undefined && hasCallLimits(options)
        ? armCallOptions(options, (error) => this.destroy(error), 'close')
        : () => {};
    this.#closing = (async () => {
      await this.#drain();
      this.#stopRefreshing();
      if (!this.#destroyed) await this.#nodes.close();
    })().finally(disarm);
    return this.#closing;
  }

  /** Closes at once: every pending call rejects. */
  destroy(reason?: unknown): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#closed ??= new ConnectionError('cluster destroyed', {
      code: 'ERR_DESTROYED',
      cause: reason,
    });
    this.#stopRefreshing();
    this.#lifetime.abort(this.#closed);
    this.#nodes.destroy(reason);
    this.#drained?.();
    this.#closing ??= Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Waits until every call issued before close() has settled, redirects and retries included.
   * A PING behind each node client's calls comes back after their replies (one connection,
   * replies in order), by when each failed first try has handed over to its recovery; then the
   * recoveries are waited for. Redirects reach nodes whose PING already came back, so rounds
   * repeat until one starts no recovery.
   */
  async #drain(): Promise<void> {
    for (;;) {
      const clients = [...this.#nodes.entries()].map((entry) => entry.client);
      await Promise.all(clients.map((client) => client.do('PING').catch(() => {})));
      if (this.#inFlight === 0 || this.#destroyed) return;
      while (this.#inFlight > 0 && !this.#destroyed)
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      this.#drained = null;
    }
  }

  #refreshEvery(intervalMs: number): void {
    if (intervalMs === 0 || !this.#periodic) return;
    this.#timer = new LongTimer(
      intervalMs,
      () => {
        if (!this.#periodic) return;
        this.#topology.refreshSoon();
        this.#refreshEvery(intervalMs);
      },
      true,
    );
  }

  #stopRefreshing(): void {
    this.#periodic = false;
    this.#topology.stop();
    this.#timer?.clear();
    this.#timer = null;
  }

  /** A recovery settled: the count close() waits on goes down. */
  #onSettled(outcome: Promise<Reply>): Promise<Reply> {
    return outcome.finally(() => {
      if (--this.#inFlight === 0) this.#drained?.();
    });
  }

  #call(
    options: ClusterCallOptions | undefined,
    command: string,
    given: readonly Arg[],
  ): Promise<Reply> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (typeof command !== 'string')
      return Promise.reject(
        new TypeError(`the command name must be a string, got ${typeof command}`),
      );
    if (command.length === 6 && command.toUpperCase() === 'ASKING')
      return Promise.reject(
        new NeedsOwnConnectionError(
          "ASKING on a node's shared connection would apply to another caller's next command: the cluster sends it itself when a node answers ASK",
        ),
      );
    // An array argument is spread on the wire (`do('DEL', keys)`): key positions count its items.
    const args = flattened(given);
    const info = this.#table.lookup(command, args);
    if (info === undefined)
      return this.#route(this.#anySlot(), null, options, command, args, false);
    const policy = info.requestPolicy;
    let keys: readonly number[] | null;
    try {
      keys = readKeyIndexes(info, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (keys === null || keys.length === 0) {
      if (policy === 'all_shards' || policy === 'all_nodes')
        return this.#fanOut(info, policy === 'all_nodes', options, command, args);
      return this.#route(this.#anySlot(), info, options, command, args, false);
    }
    let slot: number;
    try {
      slot = keySlot(args[keys[0] as number] as Arg);
      for (let index = 1; index < keys.length; index++) {
        if (keySlot(args[keys[index] as number] as Arg) === slot) continue;
        if (policy === 'multi_shard' && !allOrNothing.has(info.name))
          return this.#split(info, keys, options, command, args);
        throw new CrossSlotError(
          `${command}'s keys hash to different slots; in a cluster they must share one (use {hash tags})`,
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const replicaRead =
      info.readonly && (options?.readFrom ?? this.#settings.readFrom) === 'replica';
    return this.#route(slot, info, options, command, args, replicaRead);
  }

  /**
   * Sends a command to the node serving `slot`; on MOVED, ASK, TRYAGAIN, CLUSTERDOWN, LOADING or
   * an unreachable node, tries again where the map (or the redirect) says, within the limits.
   */
  #route(
    slot: number,
    info: CommandInfo | null,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    replicaRead: boolean,
  ): Promise<Reply> {
    // A time limit covers every try: its clock starts now (only calls that have one pay for it).
    const retry =
      options?.timeoutMs === undefined || options.timeoutMs === Number.POSITIVE_INFINITY
        ? null
        : this.#startRetry(options);
    const target = this.#target(slot, replicaRead);
    if (target === null) {
      this.#inFlight++;
      return this.#onSettled(
        this.#retry(
          null,
          slot,
          info,
          options,
          command,
          args,
          replicaRead,
          retry,
          'no node serves the slot',
        ),
      );
    }
    const recover = (error: unknown): Promise<Reply> => {
      this.#inFlight++;
      return this.#onSettled(
        this.#recover(error, target, retry, slot, info, options, command, args, replicaRead),
      );
    };
    // A node client closed under us (retired with its node): straight to recovery.
    if (target.client.status === 'closed')
      return recover(new ConnectionError('the node left the map', { code: 'ERR_CLOSED' }));
    // The node client's own promise, its failures handed to `recover`: no promise of the
    // cluster's per call (a third of a call's cost when every call had one).
    return callRecovering(
      target.client,
      options === undefined ? undefined : limitsOf(options),
      command,
      args,
      recover,
    );
  }

  async #recover(
    error: unknown,
    tried: Target,
    retry: Retry | null,
    slot: number,
    info: CommandInfo | null,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    replicaRead: boolean,
  ): Promise<Reply> {
    // A closing cluster still redirects and retries the calls it owes; a destroyed one does not.
    if (this.#destroyed) throw error;
    // A pipelined command is sent again only after those sent before it have settled.
    const after = (options as Pipelined | undefined)?.[afterPrevious];
    if (retry === null && after !== undefined) await after.then(noop, noop);
    const state = retry ?? this.#startRetry(options);
    const redirect = redirectOf(error, tried.address.host);
    if (redirect !== null) {
      state.attempts.push({ node: tried.key, outcome: (error as Error).message });
      this.#countRedirect(state, command, error);
      // The node names itself as the cluster knows it: through the NAT map, as CLUSTER SLOTS.
      const address = mapAddress(redirect.address, this.#settings.natMap);
      const key = addressKey(address);
      if (redirect.kind === 'MOVED') {
        const map = this.#topology.map;
        if (map.shardOf(redirect.slot)?.master !== key)
          this.#topology.patch(map.moveSlot(redirect.slot, address));
        this.#topology.refreshSoon();
      }
      // ASK: ASKING goes first, and the map stays as it is (the move is not over).
      return this.#send(
        this.#client(key, 'master', this.#topology.map, address),
        redirect.kind === 'ASK',
        state,
        slot,
        info,
        options,
        command,
        args,
        false,
      );
    }
    const retired = this.#nodes.isRetired(tried.client);
    // A command that was written may have run: sent again only when running it twice is safe.
    const retriable =
      isTransient(error) ||
      (ConnectionError.is(error) &&
        (!error.sent || info?.readonly === true || options?.idempotent === true));
    if (!retriable) throw error;
    const why = error instanceof Error ? error.message : String(error);
    if (retired && ConnectionError.is(error) && !error.sent) {
      // The cluster moved on from that node while the call waited for it: go where the map says.
      state.attempts.push({ node: tried.key, outcome: `left the map: ${why}` });
      this.#countRedirect(state, command, error);
      return this.#routeAgain(state, slot, info, options, command, args, replicaRead);
    }
    return this.#retry(
      tried.key,
      slot,
      info,
      options,
      command,
      args,
      replicaRead,
      state,
      why,
      error,
    );
  }

  /** Waits (backoff, a map refresh) and routes the call again, within retryWaitMs and its own limits. */
  async #retry(
    node: string | null,
    slot: number,
    info: CommandInfo | null,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    replicaRead: boolean,
    retry: Retry | null,
    why: string,
    cause?: unknown,
  ): Promise<Reply> {
    const state = retry ?? this.#startRetry(options);
    state.attempts.push({ node: node ?? `slot ${slot}`, outcome: why });
    const now = performance.now();
    if (state.transientTries === 0) state.transientSince = now;
    if (now - state.transientSince >= this.#settings.retryWaitMs)
      throw new ClusterRoutingError(
        `${command}: the cluster did not serve slot ${slot} within retryWaitMs (${this.#settings.retryWaitMs} ms)`,
        'ERR_CLUSTER_UNAVAILABLE',
        state.attempts,
        cause,
      );
    // Redirects between waits are what maxRedirects bounds: ASK then TRYAGAIN, again and again,
    // is a migration in progress, bounded by retryWaitMs instead.
    state.redirects = 0;
    const backoffMs = Math.min(500, 10 * 2 ** state.transientTries++);
    const waitMs = Math.min(backoffMs * (0.5 + Math.random() / 2), state.deadline - now);
    if (waitMs <= 0 && state.deadline !== Number.POSITIVE_INFINITY)
      throw new TimeoutError(`${command}: no reply within ${options?.timeoutMs} ms`);
    // A failover or a move shows in the map: ask for it while waiting.
    this.#topology.refreshSoon();
    const signal =
      options?.signal === undefined
        ? this.#lifetime.signal
        : AbortSignal.any([options.signal, this.#lifetime.signal]);
    try {
      await sleep(waitMs, undefined, { signal });
    } catch {
      throw options?.signal?.aborted ? options.signal.reason : this.#closed;
    }
    if (this.#destroyed) throw this.#closed;
    return this.#routeAgain(state, slot, info, options, command, args, replicaRead);
  }

  #routeAgain(
    state: Retry,
    slot: number,
    info: CommandInfo | null,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    replicaRead: boolean,
  ): Promise<Reply> {
    const target = this.#target(slot, replicaRead);
    if (target === null)
      return this.#retry(
        null,
        slot,
        info,
        options,
        command,
        args,
        replicaRead,
        state,
        'no node serves the slot',
      );
    return this.#send(target, false, state, slot, info, options, command, args, replicaRead);
  }

  /** One more try on `target`; with `asking`, ASKING goes first on the same connection. */
  #send(
    target: Target,
    asking: boolean,
    state: Retry,
    slot: number,
    info: CommandInfo | null,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
    replicaRead: boolean,
  ): Promise<Reply> {
    const limits = this.#remaining(state, options, command);
    if (limits instanceof Error) return Promise.reject(limits);
    // Both are handed to the client in one synchronous step: nothing can come between them on
    // the wire. Should the connection fail after ASKING, the command meets ASK again.
    if (asking) target.client.do('ASKING').catch(() => {});
    return target.client
      .doWith(limits, command, ...args)
      .then(undefined, (error: unknown) =>
        this.#recover(error, target, state, slot, info, options, command, args, replicaRead),
      );
  }

  /** One more redirect for the call: past maxRedirects it gives up, naming every try. */
  #countRedirect(state: Retry, command: string, error: unknown): void {
    if (++state.redirects > this.#settings.maxRedirects)
      throw new ClusterRoutingError(
        `${command}: more than ${this.#settings.maxRedirects} redirects`,
        'ERR_TOO_MANY_REDIRECTS',
        state.attempts,
        error,
      );
  }

  #startRetry(options: ClusterCallOptions | undefined): Retry {
    // Later tries get what is left of the caller's timeoutMs.
    const timeoutMs = options?.timeoutMs;
    return {
      deadline:
        timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY || timeoutMs === 0
          ? Number.POSITIVE_INFINITY
          : performance.now() + timeoutMs,
      attempts: [],
      redirects: 0,
      transientSince: 0,
      transientTries: 0,
    };
  }

  #remaining(
    state: Retry,
    options: ClusterCallOptions | undefined,
    command: string,
  ): CallOptions | Error {
    const limits: CallOptions = {};
    if (options?.signal !== undefined) {
      if (options.signal.aborted) return options.signal.reason as Error;
      limits.signal = options.signal;
    }
    if (state.deadline !== Number.POSITIVE_INFINITY) {
      const leftMs = state.deadline - performance.now();
      if (leftMs <= 0)
        return new TimeoutError(`${command}: no reply within ${options?.timeoutMs} ms`);
      limits.timeoutMs = leftMs;
    }
    return limits;
  }

  /** The node for `slot`: its master, or a replica for a replica read (the master if none is up). */
  #target(slot: number, replicaRead: boolean): Target | null {
    const map = this.#topology.map;
    const shard = map.shardOf(slot);
    if (shard === undefined) return null;
    if (replicaRead) {
      // The next connected replica in turn; asking for one starts dialling it, and until one is
      // connected the master answers (a replica that is down costs no wait).
      const count = shard.replicas.length;
      const start = this.#nextReplica++;
      for (let index = 0; index < count; index++) {
        const key = shard.replicas[(start + index) % count] as string;
        const target = this.#client(key, 'replica', map);
        if (target.client.status === 'ready') return target;
      }
    }
    return this.#client(shard.master, 'master', map);
  }

  #client(key: string, mode: NodeMode, map: SlotMap, address?: NodeAddress): NodeTarget {
    return this.#nodes.get(key, address ?? (map.addresses.get(key) as NodeAddress), mode);
  }

  /** A slot of the next master in turn: keyless commands spread over the masters. */
  #anySlot(): number {
    const shards = this.#topology.map.shards;
    if (shards.length === 0) return 0;
    return shards[this.#nextShard++ % shards.length]?.ranges[0]?.[0] ?? 0;
  }

  /**
   * Sends a keyless command to every master (or every node), and joins the replies. Each master's
   * share is routed by a slot it serves, so a failover under way moves it to the promoted replica
   * as for any call.
   */
  async #fanOut(
    info: CommandInfo,
    everyNode: boolean,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    const map = this.#topology.map;
    const nodes: string[] = [];
    const calls: Promise<Reply>[] = [];
    const limits = options === undefined ? {} : limitsOf(options);
    for (const shard of map.shards) {
      nodes.push(shard.master);
      calls.push(this.#route(shard.ranges[0]?.[0] ?? 0, info, options, command, args, false));
      if (!everyNode) continue;
      for (const replica of shard.replicas) {
        nodes.push(replica);
        const { client } = this.#client(replica, 'replica', map);
        calls.push(
          client.doWith(limits, command, ...args).catch((error: unknown) => {
            // A replica the cluster dropped while the call waited for it is no node any more.
            if (this.#nodes.isRetired(client) && ConnectionError.is(error) && !error.sent)
              return leftTheCluster;
            if (ReplyError.is(error)) throw error;
            throw new ClusterRoutingError(
              `${command} on replica ${replica} failed`,
              'ERR_CLUSTER_UNAVAILABLE',
              [{ node: replica, outcome: error instanceof Error ? error.message : String(error) }],
              error,
            );
          }) as Promise<Reply>,
        );
      }
    }
    if (info.responsePolicy === 'one_succeeded') {
      // SCRIPT KILL: the master running a script kills it, the others answer NOTBUSY.
      const outcomes = await Promise.allSettled(calls);
      const success = outcomes.find(
        (outcome) =>
          outcome.status === 'fulfilled' && (outcome.value as unknown) !== leftTheCluster,
      );
      if (success !== undefined) return (success as PromiseFulfilledResult<Reply>).value;
      throw (outcomes[0] as PromiseRejectedResult).reason;
    }
    const replies = await Promise.all(calls);
    const answered = replies.flatMap((reply, index) =>
      (reply as unknown) === leftTheCluster ? [] : [{ reply, node: nodes[index] as string }],
    );
    return mergeReplies(
      info.responsePolicy,
      answered.map(({ reply }) => reply),
      answered.map(({ node }) => node),
    );
  }

  /**
   * Splits a multi-key command (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH: request_policy
   * multi_shard) into one command per slot, sent at once, and joins the replies: in key order for
   * MGET, summed for DEL, … Not atomic across slots: a failure leaves the other slots' parts done.
   */
  async #split(
    info: CommandInfo,
    keys: readonly number[],
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    const first = keys[0] as number;
    const prefix = args.slice(0, first);
    const groups = new Map<number, { ordinals: number[]; args: Arg[] }>();
    keys.forEach((at, ordinal) => {
      const slot = keySlot(args[at] as Arg);
      let group = groups.get(slot);
      if (group === undefined) {
        group = { ordinals: [], args: [...prefix] };
        groups.set(slot, group);
      }
      group.ordinals.push(ordinal);
      // A key owns the arguments up to the next key (MSET's value).
      const end = keys[ordinal + 1] ?? args.length;
      for (let index = at; index < end; index++) group.args.push(args[index] as Arg);
    });
    const replicaRead =
      info.readonly && (options?.readFrom ?? this.#settings.readFrom) === 'replica';
    const parts = [...groups];
    const replies = await Promise.all(
      parts.map(([slot, group]) =>
        this.#route(slot, info, options, command, group.args, replicaRead),
      ),
    );
    if (info.responsePolicy === undefined && replies.every(Array.isArray)) {
      const merged: Reply[] = new Array(keys.length).fill(null);
      parts.forEach(([, group], part) => {
        const reply = replies[part] as Reply[];
        group.ordinals.forEach((ordinal, index) => {
          merged[ordinal] = reply[index] ?? null;
        });
      });
      return merged;
    }
    return mergeReplies(
      info.responsePolicy,
      replies,
      parts.map(([slot]) => `slot ${slot}`),
    );
  }

  /** The slots of a command's keys, for exclusive()'s guard; null when its keys cannot be found. */
  #slotsOf(command: string, args: readonly Arg[]): number[] | null {
    const info = this.#table.lookup(command, args);
    if (info === undefined) return null;
    const keys = readKeyIndexes(info, args);
    if (keys === null) return null;
    return keys.map((at) => keySlot(args[at] as Arg));
  }

  async #fetch(): Promise<SlotMap> {
    const map = this.#topology.map;
    return fetchSlotMap({
      map,
      seeds: this.#settings.seeds,
      natMap: this.#settings.natMap,
      dialOptions: this.#settings.dialOptions,
      clientOf: (key) => this.#nodes.peek(key, 'master'),
    });
  }

  #mapChanged(map: SlotMap): void {
    const masters = new Set<string>();
    const replicas = new Set<string>();
    for (const shard of map.shards) {
      masters.add(shard.master);
      for (const replica of shard.replicas) replicas.add(replica);
    }
    this.#nodes.retireAllBut(masters, replicas);
    this.#dialEveryNode(map);
  }

  /**
   * Masters are dialled at once, so that a dead one is noticed before a call needs it; replicas
   * too when reads go to replicas by default, so that the first reads find them connected.
   */
  #dialEveryNode(map: SlotMap): void {
    for (const shard of map.shards) {
      this.#client(shard.master, 'master', map);
      if (this.#settings.readFrom === 'replica')
        for (const replica of shard.replicas) this.#client(replica, 'replica', map);
    }
  }

  /**
   * A node client lost its connection: ask for the map now, and again every
   * minRefreshIntervalMs (at least 100 ms) for 30 rounds, then less often, while some master
   * stays unreachable, so that calls waiting for it move to its replica as soon as the cluster
   * promotes one.
   */
  async #watchLostNodes(): Promise<void> {
    if (this.#watching || this.#closed !== null) return;
    this.#watching = true;
    try {
      // Fast while a promotion is likely (cluster-node-timeout is often a second or two), then
      // slower for a master that stays away: at most one CLUSTER SLOTS every 2 s.
      let waitMs = Math.max(100, this.#settings.minRefreshIntervalMs);
      for (let round = 0; this.#closed === null && this.#someNodeDown(); round++) {
        await this.#topology.refresh().catch(() => {});
        await sleep(waitMs, undefined, { ref: false });
        if (round >= 30) waitMs = Math.min(2_000, waitMs * 2);
      }
    } finally {
      this.#watching = false;
    }
  }

  /** Some node of the map (a master, or a replica this cluster reads from) is unreachable. */
  #someNodeDown(): boolean {
    for (const shard of this.#topology.map.shards) {
      const status = this.#nodes.peek(shard.master, 'master')?.status;
      if (status === 'reconnecting' || status === 'connecting') return true;
      for (const replica of shard.replicas) {
        const replicaStatus = this.#nodes.peek(replica, 'replica')?.status;
        if (replicaStatus === 'reconnecting' || replicaStatus === 'connecting') return true;
      }
    }
    return false;
  }
}

/** A fan-out share of a replica that left the cluster while the call waited for it. */
const leftTheCluster = Symbol('left the cluster');

/** The option a pipeline passes: the reply of the command sent before (see ClusterPipeline). */
const afterPrevious = Symbol('after previous');
type Pipelined = ClusterCallOptions & { [afterPrevious]?: Promise<Reply> };
const noop = () => {};

/**
 * Commands the server tags multi_shard whose meaning a split would break: MSETNX sets every key
 * or none, which per-slot parts cannot promise. Across slots they are refused instead.
 */
const allOrNothing = new Set(['msetnx']);

/** `args` with array arguments spread in place; `args` itself when it holds none. */
function flattened(args: readonly Arg[]): readonly Arg[] {
  for (const arg of args) if (Array.isArray(arg)) return args.flat() as Arg[];
  return args;
}

/** A node picked for a try. */
type Target = NodeTarget;

/** The limits a node client takes: the cluster keeps `idempotent` and `readFrom` for itself. */
function limitsOf(options: ClusterCallOptions): CallOptions {
  const limits: CallOptions = {};
  if (options.signal !== undefined) limits.signal = options.signal;
  if (options.timeoutMs !== undefined) limits.timeoutMs = options.timeoutMs;
  return limits;
}

export type { ReadFrom };
