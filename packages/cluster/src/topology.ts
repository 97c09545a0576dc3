import { setTimeout as sleep } from 'node:timers/promises';
import type { SlotMap } from './slot-map.js';

/** How the topology is refreshed. */
export interface TopologySettings {
  /** Asks the cluster for its map; rejects when no node answered. */
  readonly fetch: () => Promise<SlotMap>;
  /** The least time between two refreshes, however many ask for one. */
  readonly minIntervalMs: number;
  /** Called with every map that differs from the one before. */
  readonly changed: (map: SlotMap, previous: SlotMap) => void;
  /** Called with a refresh that failed (every node tried); the map stays as it was. */
  readonly failed: (error: unknown) => void;
}

/**
 * Topology holds the current slot map and refreshes it single-flight: however many MOVED replies,
 * lost connections and timers ask at once, one CLUSTER SLOTS is in flight, and a new one starts
 * no sooner than `minIntervalMs` after the last began. Callers that asked during a refresh wait
 * for the next one, so they see a map fetched after their reason to ask.
 */
export class Topology {
  #map: SlotMap;
  readonly #settings: TopologySettings;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #lastStartedAt = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(initial: SlotMap, settings: TopologySettings) {
    this.#map = initial;
    this.#settings = settings;
  }

  get map(): SlotMap {
    return this.#map;
  }

  /** Replaces the map at once (a MOVED re-pointing one slot); a refresh should follow. */
  patch(map: SlotMap): void {
    this.#map = map;
  }

  /**
   * Resolves once a refresh that started after this call has finished; rejects with its error
   * when no node gave a map (the map then stays as it was).
   */
  refresh(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running === null) {
      this.#running = this.#run();
      return this.#running;
    }
    // One in flight began before the caller's reason to ask: queue exactly one more.
    this.#queued ??= this.#running.then(
      () => this.#next(),
      () => this.#next(),
    );
    return this.#queued;
  }

  /** refresh() for those who only want it done: its failure is reported to `failed`. */
  refreshSoon(): void {
    this.refresh().catch(() => {});
  }

  #next(): Promise<void> {
    this.#queued = null;
    return this.refresh();
  }

  /** No refresh starts after this. */
  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<void> {
    try {
      const waitMs = this.#lastStartedAt + this.#settings.minIntervalMs - performance.now();
      if (waitMs > 0) await sleep(waitMs, undefined, { ref: false });
      if (this.#stopped) return;
      this.#lastStartedAt = performance.now();
      const map = await this.#settings.fetch();
      if (this.#stopped) return;
      const previous = this.#map;
      this.#map = map;
      if (!map.sameAs(previous)) this.#settings.changed(map, previous);
    } catch (error) {
      if (!this.#stopped) this.#settings.failed(error);
      throw error;
    } finally {
      this.#running = null;
    }
  }
}
