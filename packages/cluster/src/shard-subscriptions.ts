import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, TimeoutError } from '@x/conn';
import { Gap, Message, type Subscriber, type SubscriberEvent, type Subscription } from '@x/pubsub';
import { ReplyError } from '@x/resp';
import { ShardMovedError } from './errors.js';
import { keySlot } from './key-slot.js';
import { isTransient } from './redirect.js';
import type { SlotMap } from './slot-map.js';
import { SubscribeWaiters } from './subscribe-waiters.js';

/** How ShardSubscriptions reaches nodes and reports what happens. */
export interface ShardSettings {
  readonly map: () => SlotMap;
  readonly refresh: () => Promise<void>;
  /** A Subscriber for one node: its dial goes to that node only. */
  readonly subscriberFor: (node: string, hooks: NodeHooks) => Subscriber;
  /** Starts forwarding a node Subscriber's events; `seen` looks at each first. */
  readonly forward: (subscriber: Subscriber, seen: (event: SubscriberEvent) => void) => void;
  /** Hands a Gap to the readers. */
  readonly push: (gap: Gap) => void;
  readonly waitMs: number;
  readonly onError: (error: unknown, node: string) => void;
}

/** What a node Subscriber tells ShardSubscriptions. */
export interface NodeHooks {
  onReconnectError(error: unknown): void;
  /** A dial after the first: the connection was lost (a keep-alive PING went unanswered, ...). */
  onRedial(): void;
  /** A dial succeeded. */
  onDialed(): void;
  onServerUnsubscribe(ended: Subscription): void;
}

/** A slot's channels: what the caller wants, and what the node at `node` holds for it. */
interface SlotState {
  readonly wanted: Set<string>;
  node: string | null;
  /** Confirmed at `node` (its Subscriber resubscribes them itself should its connection drop). */
  readonly held: Set<string>;
  /**
   * Handed to `node`'s Subscriber and not confirmed (it failed there, the node being down): the
   * Subscriber would subscribe them on its next connection, so they are taken back if unwanted.
   */
  readonly asked: Set<string>;
  /** Set while subscriptions of this slot are lost: the Gap's start and cause. */
  lost: { since: Date; cause: unknown; from: string } | null;
  dirty: boolean;
}

interface NodeEntry {
  readonly subscriber: Subscriber;
  readonly slots: Set<number>;
  down: { since: Date; cause: unknown } | null;
}

/**
 * ShardSubscriptions keeps every shard channel subscribed on the master that owns its slot.
 *
 * Channels are grouped per owning node: one connection (a @x/pubsub Subscriber) per master,
 * however many slots, as the server allows one client to hold channels of many slots, only not
 * in one SSUBSCRIBE. A connection per slot would cost up to 16,384 connections. Each SSUBSCRIBE
 * names the channels of one slot.
 *
 *   ssubscribe ─► wanted[slot] ─► reconcile loop ─► owner's Subscriber ─► SSUBSCRIBE (per slot)
 *                                   ▲  refresh map, backoff     │ sunsubscribe from the server,
 *                                   └────────────────────────────┘ node unreachable
 *
 * One loop does all the work, so slots need no locks: callers only change `wanted` and wait.
 */
export class ShardSubscriptions {
  readonly #settings: ShardSettings;
  readonly #slots = new Map<number, SlotState>();
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #waiters: SubscribeWaiters;
  readonly #lifetime = new AbortController();
  #running: Promise<void> | null = null;
  /** Callers of `unsubscribe`, resolved when a round that began after their call ends. */
  #roundWaiters: (() => void)[] = [];
  #kicked = false;
  /** Set when a round left a slot unplaced: the next one asks for the map first. */
  #failing = false;
  /** Slots subscribed again after a loss whose Gap has not been pushed yet. */
  readonly #regained = new Set<SlotState>();
  /** Channels of calls that resolved: a later call that fails for the same channel keeps them. */
  readonly #confirmed = new Set<string>();
  /** Since when some slot is unplaced or some node down (null: all is well), when the map last changed. */
  #troubleSince: number | null = null;
  #seenMap: SlotMap | null = null;
  #seenMapAt = 0;
  #refreshedAt = 0;

  constructor(settings: ShardSettings) {
    this.#settings = settings;
    this.#waiters = new SubscribeWaiters(settings.waitMs);
  }

  /** Subscribes `channels` at their owners; rejects after `waitMs` without one, forgetting them. */
  subscribe(channels: readonly string[]): Promise<void> {
    if (this.#lifetime.signal.aborted) return Promise.reject(this.#lifetime.signal.reason);
    for (const channel of channels) {
      const state = this.#state(keySlot(channel));
      state.wanted.add(channel);
      state.dirty = true;
    }
    const confirmed = this.#waiters.wait(channels, () => {
      // Failed: every channel it asked for is forgotten (unsubscribed where already held), but
      // for those an earlier call was told are subscribed and those another call still waits for.
      for (const channel of channels) {
        if (this.#confirmed.has(channel) || this.#waiters.waiting(channel)) continue;
        const state = this.#slots.get(keySlot(channel));
        if (state === undefined || !state.wanted.delete(channel)) continue;
        state.dirty = true;
      }
      // The call rejects once a round has let go of them: its caller hears none of them after.
      if (this.#lifetime.signal.aborted) return Promise.resolve();
      const done = new Promise<void>((resolve) => this.#roundWaiters.push(resolve));
      this.#kick();
      return done;
    });
    this.#kick();
    return confirmed;
  }

  /** Forgets `channels` (all without any) and unsubscribes them where they are held. */
  unsubscribe(channels: readonly string[]): Promise<void> {
    if (channels.length === 0) this.#confirmed.clear();
    for (const channel of channels) this.#confirmed.delete(channel);
    if (channels.length === 0)
      for (const state of this.#slots.values()) {
        state.wanted.clear();
        state.dirty = true;
      }
    for (const channel of channels) {
      const state = this.#slots.get(keySlot(channel));
      if (state === undefined) continue;
      state.wanted.delete(channel);
      state.dirty = true;
    }
    if (this.#lifetime.signal.aborted) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#roundWaiters.push(resolve));
    this.#kick();
    return done;
  }

  /** Stops the loop, rejects waiting subscribes with `reason` and closes every node Subscriber. */
  async close(reason: unknown): Promise<void> {
    this.#lifetime.abort(reason);
    this.#waiters.reject(reason);
    for (const resolve of this.#roundWaiters.splice(0)) resolve();
    const nodes = [...this.#nodes.values()];
    this.#nodes.clear();
    await Promise.all(nodes.map((node) => node.subscriber.close()));
  }

  #state(slot: number): SlotState {
    let state = this.#slots.get(slot);
    if (state === undefined) {
      state = {
        wanted: new Set(),
        node: null,
        held: new Set(),
        asked: new Set(),
        lost: null,
        dirty: false,
      };
      this.#slots.set(slot, state);
    }
    return state;
  }

  #kick(): void {
    this.#kicked = true;
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
      // A kick that came as the loop was ending: run again.
      if (this.#kicked && !this.#lifetime.signal.aborted) this.#kick();
    });
  }

  /** Rounds until nothing is left to do: every slot settled and every node reachable. */
  async #run(): Promise<void> {
    const aborted = this.#lifetime.signal;
    let waiting: (() => void)[] = [];
    try {
      for (let idle = 0; !aborted.aborted; ) {
        this.#kicked = false;
        waiting = this.#roundWaiters.splice(0);
        // A loss, a failure or a node down: the map has probably changed, or is about to.
        const lost = [...this.#slots.values()].some((state) => state.lost !== null);
        if (this.#failing || lost || this.#someNodeDown()) await this.#refresh();
        if (aborted.aborted) break;
        this.#failing = false;
        await this.#round();
        for (const resolve of waiting.splice(0)) resolve();
        const dirty = [...this.#slots.values()].some((state) => state.dirty);
        if (this.#kicked || (dirty && !this.#failing)) {
          idle = 0;
          continue;
        }
        if (!this.#failing && !this.#someNodeDown()) {
          this.#troubleSince = null;
          return;
        }
        // Polls while a node is down or a slot is not placed: 25 ms, doubling to 250 ms.
        await sleep(Math.min(250, 25 * 2 ** idle++), undefined, { signal: aborted }).catch(
          () => {},
        );
      }
    } finally {
      for (const resolve of waiting) resolve();
    }
  }

  /**
   * Asks for the map, about as the cluster client does while a master is lost: every 250 ms for
   * FAST_REFRESH_MS (a promotion is likely within seconds), then every 2 s; either way not when
   * the map was replaced (by anyone: the cluster client included) within that time.
   */
  async #refresh(): Promise<void> {
    const now = performance.now();
    const map = this.#settings.map();
    if (map !== this.#seenMap) {
      this.#seenMap = map;
      this.#seenMapAt = now;
    }
    // A map fetched meanwhile by the cluster client (which polls while its own connection to a
    // lost master is down) serves as well as one fetched for us.
    this.#troubleSince ??= now;
    const intervalMs = now - this.#troubleSince < FAST_REFRESH_MS ? 250 : 2_000;
    if (now - Math.max(this.#seenMapAt, this.#refreshedAt) < intervalMs) return;
    this.#refreshedAt = now;
    await this.#settings.refresh();
  }

  /** The map may have changed: slots whose owner is not where they are held are placed again. */
  recheck(): void {
    if (this.#lifetime.signal.aborted) return;
    const map = this.#settings.map();
    let moved = false;
    for (const [slot, state] of this.#slots) {
      if (state.node === null || state.node === (map.shardOf(slot)?.master ?? null)) continue;
      state.dirty = true;
      moved = true;
    }
    if (moved) this.#kick();
  }

  #someNodeDown(): boolean {
    for (const node of this.#nodes.values())
      if (node.down !== null && node.slots.size > 0) return true;
    return false;
  }

  async #round(): Promise<void> {
    const map = this.#settings.map();
    const work: Promise<void>[] = [];
    for (const [slot, state] of this.#slots) {
      const down = state.node !== null && this.#nodes.get(state.node)?.down != null;
      if (!state.dirty && !down) continue;
      state.dirty = false;
      work.push(this.#reconcile(slot, state, map));
    }
    await Promise.all(work);
    if (this.#lifetime.signal.aborted) return;
    for (const [slot, state] of this.#slots) {
      if (state.wanted.size > 0 || state.held.size > 0 || state.asked.size > 0 || state.dirty)
        continue;
      this.#slots.delete(slot);
      if (state.node !== null) this.#nodes.get(state.node)?.slots.delete(slot);
    }
    for (const [key, node] of this.#nodes) {
      if (node.slots.size > 0) continue;
      this.#nodes.delete(key);
      void node.subscriber.close();
    }
    const settled = this.#waiters.settle((channel) => {
      const state = this.#slots.get(keySlot(channel));
      return state === undefined || !state.wanted.has(channel) || state.held.has(channel);
    });
    for (const channel of settled)
      if (this.#slots.get(keySlot(channel))?.wanted.has(channel)) this.#confirmed.add(channel);
    this.#flushGaps();
  }

  /**
   * Brings one slot to where the map says: lets go of it at a node that no longer owns it,
   * unsubscribes what is no longer wanted, subscribes what is missing at the owner. Never
   * rejects: a failure leaves the slot dirty, or rejects the waiters it concerns.
   */
  async #reconcile(slot: number, state: SlotState, map: SlotMap): Promise<void> {
    const owner = map.shardOf(slot)?.master ?? null;
    if (state.node !== null && state.node !== owner) {
      const node = this.#nodes.get(state.node);
      if (state.held.size > 0)
        state.lost ??= {
          since: node?.down?.since ?? new Date(),
          cause: node?.down?.cause,
          from: state.node,
        };
      // Its Subscriber must not bring them back on a reconnection (nor hold failed attempts).
      const leaving = [...new Set([...state.held, ...state.wanted, ...state.asked])];
      state.held.clear();
      state.asked.clear();
      node?.slots.delete(slot);
      state.node = null;
      // The Subscriber forgets them at once; a node that is down would hold the round up until
      // its dial in progress (to a frozen master: connectTimeoutMs) gives up.
      const left = node?.subscriber.sunsubscribe(...leaving).catch(() => {});
      if (node?.down == null) await left;
    }
    if (this.#lifetime.signal.aborted) return;
    const node = state.node === null ? undefined : this.#nodes.get(state.node);
    // Handed to the node while it was down, then given up: its Subscriber must not bring them back.
    const ghosts = [...state.asked].filter((channel) => !state.wanted.has(channel));
    if (node !== undefined && ghosts.length > 0) {
      for (const channel of ghosts) state.asked.delete(channel);
      void node.subscriber.sunsubscribe(...ghosts).catch(() => {});
    }
    const unwanted = [...state.held].filter((channel) => !state.wanted.has(channel));
    if (node !== undefined && unwanted.length > 0) {
      for (const channel of unwanted) state.held.delete(channel);
      await node.subscriber.sunsubscribe(...unwanted).catch(() => {});
    }
    if (state.wanted.size === 0) {
      if (state.node !== null && state.held.size === 0) {
        node?.slots.delete(slot);
        state.node = null;
      }
      state.lost = null;
      return;
    }
    const missing = [...state.wanted].filter((channel) => !state.held.has(channel));
    if (missing.length === 0) return this.#repaired(state);
    if (owner === null) {
      this.#failed(state, missing, `slot ${slot}`, 'no node serves it');
      return;
    }
    // close() came while this slot was being let go of: nothing new is opened.
    if (this.#lifetime.signal.aborted) return;
    const target = this.#node(owner);
    state.node = owner;
    target.slots.add(slot);
    for (const channel of missing) state.asked.add(channel);
    try {
      await target.subscriber.ssubscribe(...missing);
    } catch (error) {
      // A refusal: the Subscriber has forgotten them; a failed connection: it keeps them.
      if (ReplyError.is(error)) for (const channel of missing) state.asked.delete(channel);
      if (mayPassSoon(error)) {
        this.#failed(state, missing, owner, error instanceof Error ? error.message : String(error));
        return;
      }
      // Refused for good (an ACL's NOPERM): callers learn why; nothing is retried.
      for (const channel of missing) state.wanted.delete(channel);
      this.#waiters.reject(error, missing);
      return;
    }
    for (const channel of missing) {
      state.asked.delete(channel);
      state.held.add(channel);
    }
    // Unsubscribed while we subscribed: the next round lets go of it.
    if (missing.some((channel) => !state.wanted.has(channel))) state.dirty = true;
    return this.#repaired(state);
  }

  /** Whatever was lost is back: its Gap goes out at the end of the round, or before its first message. */
  #repaired(state: SlotState): void {
    if (state.lost !== null) this.#regained.add(state);
  }

  #failed(state: SlotState, missing: string[], node: string, outcome: string): void {
    state.dirty = true;
    this.#failing = true;
    this.#waiters.tried(missing, { node, outcome });
  }

  /** The Subscriber of `key`, made and forwarding when there is none. */
  #node(key: string): NodeEntry {
    let entry = this.#nodes.get(key);
    if (entry !== undefined) return entry;
    const subscriber = this.#settings.subscriberFor(key, {
      onReconnectError: (error) => {
        if (this.#nodes.get(key) !== entry || entry === undefined) return;
        entry.down ??= { since: new Date(), cause: error };
        this.#settings.onError(error, key);
        this.#kick();
      },
      onServerUnsubscribe: (ended) => this.#endedByServer(key, ended),
      onRedial: () => {
        if (this.#nodes.get(key) !== entry || entry === undefined) return;
        entry.down ??= {
          since: new Date(),
          cause: new ConnectionError(`the subscriber's connection to ${key} was lost`),
        };
        this.#kick();
      },
      onDialed: () => {
        if (entry !== undefined) entry.down = null;
      },
    });
    entry = { subscriber, slots: new Set(), down: null };
    const made = entry;
    this.#nodes.set(key, made);
    this.#settings.forward(subscriber, (event) => {
      // Its own reconnection succeeded: the node is back (its Gap goes to the readers).
      if (event instanceof Gap) made.down = null;
      else if (event instanceof Message) this.#beforeMessage(key, event);
    });
    return made;
  }

  /**
   * The first message of a slot subscribed again at its new owner may overtake the end of the
   * round that did it (even the SSUBSCRIBE's own promise): the Gap goes first, so that readers
   * never see a message from after a loss before the loss.
   */
  #beforeMessage(key: string, message: Message): void {
    const state = this.#slots.get(keySlot(message.channel));
    if (state === undefined || state.lost === null || state.node !== key) return;
    this.#regained.add(state);
    this.#flushGaps();
  }

  /** The node sent `sunsubscribe` on its own: the slot moved, or the node is a master no more. */
  #endedByServer(key: string, ended: Subscription): void {
    const channel = ended.channel as string;
    const state = this.#slots.get(keySlot(channel));
    if (state === undefined || state.node !== key || !state.held.delete(channel)) return;
    state.lost ??= { since: new Date(), cause: ended, from: key };
    state.dirty = true;
    this.#kick();
  }

  /** One Gap for every slot subscribed again since the last one. */
  #flushGaps(): void {
    if (this.#regained.size === 0) return;
    const regained = [...this.#regained].flatMap((state) => {
      const lost = state.lost;
      state.lost = null;
      return lost === null ? [] : [{ channels: [...state.wanted], lost, to: state.node ?? '?' }];
    });
    this.#regained.clear();
    if (regained.length === 0) return;
    const since = new Date(Math.min(...regained.map((entry) => entry.lost.since.getTime())));
    const channels = regained.flatMap((entry) => entry.channels);
    const moves = new Set(regained.map((entry) => `${entry.lost.from} -> ${entry.to}`));
    const cause = new ShardMovedError(channels, [...moves], regained[0]?.lost.cause);
    this.#settings.push(new Gap(since, new Date(), cause));
  }
}

/** How long after trouble begins the map is asked for every 250 ms (then every 2 s). */
const FAST_REFRESH_MS = 3_000;

/** Errors after which the subscription may succeed at the same or another node soon. */
function mayPassSoon(error: unknown): boolean {
  if (ConnectionError.is(error) || TimeoutError.is(error) || isTransient(error)) return true;
  return ReplyError.is(error) && (error.code === 'MOVED' || error.code === 'ASK');
}
