import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@x/client';
import {
  __internal,
  type CallOptions,
  ConnectionError,
  type Pipeline,
  TimeoutError,
} from '@x/conn';
import type { PooledConn } from '@x/pool';
import type { Arg, Reply } from '@x/resp';
import {
  type ClusterCallOptions,
  type ClusterOptions,
  type ClusterSettings,
  type ReadFrom,
  readClusterOptions,
} from './cluster-options.js';
import { ClusterSubscriber, type ClusterSubscriberOptions } from './cluster-subscriber.js';
import { type CommandInfo, type CommandTable, keyIndexes } from './command-table.js';
import { type Attempt, ClusterRoutingError, CrossSlotError } from './errors.js';
import { guardSlot } from './exclusive-guard.js';
import { fetchSlotMap } from './fetch-slot-map.js';
import { firstContact } from './first-contact.js';
import { keySlot } from './key-slot.js';
import { mergeReplies } from './merge-replies.js';
import { addressKey, type NodeAddress } from './node-address.js';
import { NodeClients, type NodeMode } from './node-clients.js';
import { isTransient, redirectOf } from './redirect.js';
import type { SlotMap } from './slot-map.js';
import { Topology } from './topology.js';

const { checkCallOptions, ConnPipeline } = __internal;

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
  readonly #timer: NodeJS.Timeout | null;
  #nextShard = 0;
  #nextReplica = 0;
  #closed: ConnectionError | null = null;
  #closing: Promise<void> | null = null;
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
    this.#timer =
      settings.refreshIntervalMs > 0
        ? setInterval(() => void this.#topology.refresh(), settings.refreshIntervalMs).unref()
        : null;
    // Masters are dialled at once: a dead one is noticed before the first call needs it.
    for (const shard of map.shards) this.#client(shard.master, 'master', map);
  }

  /** Runs a command on the node serving its keys (any master for a keyless command). */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(undefined, command, args);
  }

  /** `do` with a signal, a time limit covering every redirect and retry, `idempotent`, `readFrom`. */
  doWith(options: ClusterCallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    const invalid = checkCallOptions(options);
    if (invalid !== null) return Promise.reject(invalid);
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
  pipeline(): Pipeline {
    return new ConnPipeline(
      (command, args) => this.#call(undefined, command, args),
      () => Promise.resolve(),
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
    const client = this.#client(shard.master, 'master', this.#topology.map);
    return client.exclusive(
      (conn) => work(guardSlot(conn, slot, (command, args) => this.#slotsOf(command, args))),
      options,
    );
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
    const firstSlots = this.#topology.map.shards.map((shard) => shard.ranges[0]?.[0] ?? 0);
    for (const slot of firstSlots) {
      let cursor: Reply = '0';
      do {
        const reply = await this.#route(slot, null, call, 'SCAN', [cursor as Arg, ...extra], false);
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
          throw new TypeError('SCAN did not reply [cursor, keys]');
        cursor =
          reply[0] instanceof Uint8Array ? Buffer.from(reply[0]).toString() : (reply[0] ?? '0');
        yield* reply[1];
      } while (cursor !== '0');
    }
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
      refresh: () => this.#topology.refresh(),
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

  /** Asks the cluster for its map now (single-flight with the automatic refreshes). */
  refresh(): Promise<void> {
    return this.#topology.refresh();
  }

  /**
   * Closes every node client gracefully (calls already issued finish, within `timeoutMs` if
   * given); new calls reject with ConnectionError (`ERR_CLOSED`).
   */
  close(options?: CallOptions): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#stop(new ConnectionError('cluster closed', { code: 'ERR_CLOSED' }));
    this.#closing = this.#nodes.close(options?.timeoutMs ?? 10_000);
    return this.#closing;
  }

  /** Closes at once: every pending call rejects. */
  destroy(reason?: unknown): void {
    this.#stop(new ConnectionError('cluster destroyed', { code: 'ERR_DESTROYED', cause: reason }));
    this.#nodes.destroy(reason);
    this.#closing ??= Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #stop(reason: ConnectionError): void {
    if (this.#closed !== null) return;
    this.#closed = reason;
    this.#topology.stop();
    if (this.#timer !== null) clearInterval(this.#timer);
  }

  #call(
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (typeof command !== 'string')
      return Promise.reject(
        new TypeError(`the command name must be a string, got ${typeof command}`),
      );
    const info = this.#table.lookup(command, args);
    if (info === undefined)
      return this.#route(this.#anySlot(), null, options, command, args, false);
    const policy = info.requestPolicy;
    let keys: readonly number[] | null;
    try {
      keys = keyIndexes(info, args);
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
        if (policy === 'multi_shard') return this.#split(info, keys, options, command, args);
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
        null,
        'no node serves the slot',
      );
    const attempt =
      options === undefined
        ? target.client.do(command, ...args)
        : target.client.doWith(limitsOf(options), command, ...args);
    return attempt.then(undefined, (error: unknown) =>
      this.#recover(error, target, null, slot, info, options, command, args, replicaRead),
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
    if (this.#closed !== null) throw error;
    const state = retry ?? this.#startRetry(options);
    const redirect = redirectOf(error, tried.address.host);
    if (redirect !== null) {
      state.attempts.push({ node: tried.key, outcome: (error as Error).message });
      if (++state.redirects > this.#settings.maxRedirects)
        throw new ClusterRoutingError(
          `${command}: more than ${this.#settings.maxRedirects} redirects`,
          'ERR_TOO_MANY_REDIRECTS',
          state.attempts,
          error,
        );
      const key = addressKey(redirect.address);
      if (redirect.kind === 'MOVED') {
        const map = this.#topology.map;
        if (map.shardOf(redirect.slot)?.master !== key)
          this.#topology.patch(map.moveSlot(redirect.slot, redirect.address));
        void this.#topology.refresh();
        return this.#send(
          {
            key,
            address: redirect.address,
            client: this.#client(key, 'master', this.#topology.map, redirect.address),
          },
          false,
          state,
          slot,
          info,
          options,
          command,
          args,
          false,
        );
      }
      return this.#send(
        {
          key,
          address: redirect.address,
          client: this.#client(key, 'master', this.#topology.map, redirect.address),
        },
        true,
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
    const retriable =
      isTransient(error) ||
      (ConnectionError.is(error) &&
        (!error.sent || retired || info?.readonly === true || options?.idempotent === true));
    if (!retriable) throw error;
    const why = error instanceof Error ? error.message : String(error);
    if (retired && ConnectionError.is(error) && !error.sent) {
      // The cluster moved on from that node while the call waited for it: go where the map says.
      state.attempts.push({ node: tried.key, outcome: `left the map: ${why}` });
      if (++state.redirects > this.#settings.maxRedirects)
        throw new ClusterRoutingError(
          `${command}: more than ${this.#settings.maxRedirects} redirects`,
          'ERR_TOO_MANY_REDIRECTS',
          state.attempts,
          error,
        );
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
    const backoffMs = Math.min(500, 10 * 2 ** state.transientTries++);
    const waitMs = Math.min(backoffMs * (0.5 + Math.random() / 2), state.deadline - now);
    if (waitMs <= 0 && state.deadline !== Number.POSITIVE_INFINITY)
      throw new TimeoutError(`${command}: no reply within ${options?.timeoutMs} ms`);
    // A failover or a move shows in the map: ask for it while waiting.
    void this.#topology.refresh();
    try {
      await sleep(
        waitMs,
        undefined,
        options?.signal === undefined ? {} : { signal: options.signal },
      );
    } catch {
      throw options?.signal?.reason;
    }
    if (this.#closed !== null) throw this.#closed;
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

  #startRetry(options: ClusterCallOptions | undefined): Retry {
    // The first try was armed with the caller's whole timeoutMs; later tries get what is left.
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
    if (replicaRead && shard.replicas.length > 0) {
      const key = shard.replicas[this.#nextReplica++ % shard.replicas.length] as string;
      const client = this.#client(key, 'replica', map);
      if (client.status === 'ready' || client.status === 'connecting')
        return { key, address: map.addresses.get(key) as NodeAddress, client };
    }
    return {
      key: shard.master,
      address: map.addresses.get(shard.master) as NodeAddress,
      client: this.#client(shard.master, 'master', map),
    };
  }

  #client(key: string, mode: NodeMode, map: SlotMap, address?: NodeAddress): Client {
    return this.#nodes.get(key, address ?? (map.addresses.get(key) as NodeAddress), mode);
  }

  /** A slot of the next master in turn: keyless commands spread over the masters. */
  #anySlot(): number {
    const shards = this.#topology.map.shards;
    if (shards.length === 0) return 0;
    return shards[this.#nextShard++ % shards.length]?.ranges[0]?.[0] ?? 0;
  }

  /** Sends a keyless command to every master (or every node), and joins the replies. */
  async #fanOut(
    info: CommandInfo,
    everyNode: boolean,
    options: ClusterCallOptions | undefined,
    command: string,
    args: readonly Arg[],
  ): Promise<Reply> {
    const map = this.#topology.map;
    const targets: { key: string; mode: NodeMode }[] = [];
    for (const shard of map.shards) {
      targets.push({ key: shard.master, mode: 'master' });
      if (everyNode)
        for (const replica of shard.replicas) targets.push({ key: replica, mode: 'replica' });
    }
    const limits = options === undefined ? {} : limitsOf(options);
    const replies = await Promise.all(
      targets.map(({ key, mode }) => this.#client(key, mode, map).doWith(limits, command, ...args)),
    );
    return mergeReplies(
      info.responsePolicy,
      replies,
      targets.map((target) => target.key),
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
    const keys = keyIndexes(info, args);
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
    for (const shard of map.shards) this.#client(shard.master, 'master', map);
  }

  /**
   * A node client lost its connection: ask for the map now, and again every
   * minRefreshIntervalMs (at least 100 ms) while some master stays unreachable, so that calls
   * waiting for it move to its replica as soon as the cluster promotes one.
   */
  async #watchLostNodes(): Promise<void> {
    if (this.#watching || this.#closed !== null) return;
    this.#watching = true;
    try {
      while (this.#closed === null && this.#someMasterDown()) {
        await this.#topology.refresh();
        await sleep(Math.max(100, this.#settings.minRefreshIntervalMs), undefined, { ref: false });
      }
    } finally {
      this.#watching = false;
    }
  }

  #someMasterDown(): boolean {
    for (const shard of this.#topology.map.shards) {
      const status = this.#nodes.peek(shard.master, 'master')?.status;
      if (status === 'reconnecting' || status === 'connecting') return true;
    }
    return false;
  }
}

/** A node picked for a try. */
interface Target {
  readonly key: string;
  readonly address: NodeAddress;
  readonly client: Client;
}

/** The limits a node client takes: the cluster keeps `idempotent` and `readFrom` for itself. */
function limitsOf(options: ClusterCallOptions): CallOptions {
  const limits: CallOptions = {};
  if (options.signal !== undefined) limits.signal = options.signal;
  if (options.timeoutMs !== undefined) limits.timeoutMs = options.timeoutMs;
  return limits;
}

export type { ReadFrom };
