import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, TimeoutError } from '@x/conn';
import type { Subscriber } from '@x/pubsub';
import { type Attempt, ClusterRoutingError } from './errors.js';

/** How ChannelSubscriptions gets its Subscriber and waits for the cluster. */
export interface ChannelSettings {
  /** Makes the Subscriber (its dial picks a master from the map) and forwards its events. */
  readonly make: () => Subscriber;
  readonly refresh: () => Promise<void>;
  readonly waitMs: number;
  /** Aborts when the ClusterSubscriber closes. */
  readonly signal: AbortSignal;
}

/**
 * ChannelSubscriptions keeps channels and patterns on one connection to any master: the cluster
 * hands every PUBLISH to every node, so any one hears them all. The Subscriber reconnects (to the
 * next master that answers) and yields its own Gaps; this adds a bounded wait for a first
 * connection while no master answers.
 */
export class ChannelSubscriptions {
  readonly #settings: ChannelSettings;
  #subscriber: Subscriber | null = null;
  /** What the caller subscribed to, so that a subscribe that times out forgets only its own. */
  readonly #channels = new Set<string>();
  readonly #patterns = new Set<string>();

  constructor(settings: ChannelSettings) {
    this.#settings = settings;
  }

  /** SUBSCRIBE or PSUBSCRIBE `names`, trying until a master takes them or `waitMs` passes. */
  async subscribe(command: 'SUBSCRIBE' | 'PSUBSCRIBE', asked: readonly string[]): Promise<void> {
    const { signal, waitMs } = this.#settings;
    if (signal.aborted) throw signal.reason;
    this.#subscriber ??= this.#settings.make();
    const subscriber = this.#subscriber;
    const names = command === 'SUBSCRIBE' ? this.#channels : this.#patterns;
    const added = asked.filter((name) => !names.has(name));
    const attempts: Attempt[] = [];
    const deadline = performance.now() + waitMs;
    for (let tries = 0; ; tries++) {
      try {
        if (command === 'SUBSCRIBE') await subscriber.subscribe(...asked);
        else await subscriber.psubscribe(...asked);
        for (const name of asked) names.add(name);
        return;
      } catch (error) {
        // A refusal (the Subscriber forgets it) or close(): no retry helps.
        if (signal.aborted || !(ConnectionError.is(error) || TimeoutError.is(error))) throw error;
        attempts.push({ node: 'any master', outcome: (error as Error).message });
        if (performance.now() >= deadline) {
          // Forgotten, so that no later connection subscribes what the caller was told failed.
          if (added.length > 0)
            await this.unsubscribe(command === 'SUBSCRIBE' ? 'UNSUBSCRIBE' : 'PUNSUBSCRIBE', added);
          throw new ClusterRoutingError(
            `${command} ${asked.join(' ')}: no master could be reached within ${waitMs} ms`,
            'ERR_CLUSTER_UNAVAILABLE',
            attempts,
            error,
          );
        }
        void this.#settings.refresh();
        await sleep(Math.min(250, 25 * 2 ** tries), undefined, { signal }).catch(() => {});
      }
    }
  }

  /** UNSUBSCRIBE or PUNSUBSCRIBE `names` (all without any). */
  async unsubscribe(command: 'UNSUBSCRIBE' | 'PUNSUBSCRIBE', asked: readonly string[]) {
    const names = command === 'UNSUBSCRIBE' ? this.#channels : this.#patterns;
    if (asked.length === 0) names.clear();
    for (const name of asked) names.delete(name);
    const subscriber = this.#subscriber;
    if (subscriber === null) return;
    const done =
      command === 'UNSUBSCRIBE'
        ? subscriber.unsubscribe(...asked)
        : subscriber.punsubscribe(...asked);
    // The connection is gone: the Subscriber has forgotten them anyway.
    await done.catch((error: unknown) => {
      if (!ConnectionError.is(error)) throw error;
    });
  }

  close(): Promise<void> {
    return this.#subscriber?.close() ?? Promise.resolve();
  }
}
