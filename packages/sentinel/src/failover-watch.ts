import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '@x/conn';
import { dialSentinel } from './ask-sentinel.js';
import { formatAddress, reportedAddress } from './node-address.js';
import type { SentinelSettings } from './options.js';
import type { SentinelList } from './sentinel-list.js';

/**
 * FailoverWatch listens to a sentinel's `+switch-master` while connections it dialled are open,
 * and acts on a switch of the watched master at once: it destroys the connections that point the
 * wrong way (to the old master; for replicas, to the promoted one), and wakes dials waiting to
 * ask again. Only an accelerator: dials check ROLE, and READONLY replies end a demoted master's
 * connection, whether a message comes or not.
 *
 *   dial ──► track(conn) ──► live: conn → "host:port"      (untracked when conn closes)
 *                              │ first one starts the loop; the last one out stops it
 *   loop: sentinel (list order) ── SUBSCRIBE +switch-master ── message ──► destroy, wake
 *         └─ connection lost: next sentinel after a pause (100 ms, doubling to 1 s)
 */
export class FailoverWatch {
  readonly #settings: SentinelSettings;
  readonly #list: SentinelList;
  readonly #live = new Map<Connection, string>();
  readonly #wakers = new Set<() => void>();
  #subscription: Connection | null = null;
  #stop: AbortController | null = null;

  constructor(settings: SentinelSettings, list: SentinelList) {
    this.#settings = settings;
    this.#list = list;
  }

  /** Follows `conn` (to `address`) until it closes. */
  track(conn: Connection, address: string): void {
    this.#live.set(conn, address);
    void conn.closed.then(() => {
      this.#live.delete(conn);
      if (this.#live.size === 0) this.#halt();
    });
    if (this.#stop === null && this.#settings.watchFailovers) {
      const stop = new AbortController();
      this.#stop = stop;
      void this.#listen(stop.signal);
    }
  }

  /** Waits `ms`, or less if a switch is announced or `signal` aborts (then rejects). */
  async pause(ms: number, signal: AbortSignal): Promise<void> {
    const early = new AbortController();
    const wake = () => early.abort();
    this.#wakers.add(wake);
    try {
      // This timer keeps the process alive: a dial in progress is work someone awaits.
      await sleep(ms, undefined, { signal: AbortSignal.any([signal, early.signal]) });
    } catch (error) {
      signal.throwIfAborted();
      if (!early.signal.aborted) throw error;
    } finally {
      this.#wakers.delete(wake);
    }
  }

  #halt(): void {
    this.#stop?.abort();
    this.#stop = null;
    this.#subscription?.destroy();
    this.#subscription = null;
  }

  async #listen(stop: AbortSignal): Promise<void> {
    let delayMs = 100;
    let turn = 0;
    while (!stop.aborted) {
      const sentinels = this.#list.inOrder();
      const sentinel = sentinels[turn++ % sentinels.length];
      if (sentinel === undefined) return;
      let conn: Connection | null = null;
      try {
        conn = await dialSentinel(sentinel, this.#settings, stop);
        if (stop.aborted) return;
        this.#subscription = conn;
        conn.send('SUBSCRIBE', '+switch-master');
        await conn.flush();
        // Only a confirmed subscription resets the pause: a sentinel that refuses it (NOPERM)
        // or hangs up after it is tried again at most once a second.
        if (isConfirmation(await conn.receive())) {
          delayMs = 100;
          for (;;) this.#onMessage(await conn.receive());
        }
      } catch {
        // Lost or never reached: the next sentinel, after a pause. Lookups go on meanwhile.
      } finally {
        conn?.destroy();
        if (this.#subscription === conn) this.#subscription = null;
      }
      try {
        await sleep(delayMs, undefined, { signal: stop, ref: false });
      } catch {
        return;
      }
      delayMs = Math.min(delayMs * 2, 1_000);
    }
  }

  /**
   * `message +switch-master "<name> <old ip> <old port> <new ip> <new port>"`. Anything else
   * (another master, a malformed message, an address mapAddress refuses) is ignored: an
   * accelerator must never end a good connection on bad input.
   */
  #onMessage(reply: unknown): void {
    if (!Array.isArray(reply) || reply.length !== 3 || String(reply[0]) !== 'message') return;
    const fields = String(reply[2]).split(' ');
    if (fields.length !== 5 || fields[0] !== this.#settings.masterName) return;
    const [name, oldHost, oldPort, newHost, newPort] = fields;
    const oldAddress = reportedAddress(oldHost, oldPort);
    const newAddress = reportedAddress(newHost, newPort);
    if (oldAddress === null || newAddress === null) return;
    let promoted: string;
    let demoted: string;
    try {
      promoted = formatAddress(this.#settings.mapAddress(newAddress));
      demoted = formatAddress(this.#settings.mapAddress(oldAddress));
    } catch {
      return;
    }
    for (const [conn, address] of this.#live) {
      const wrongWay =
        this.#settings.role === 'master' ? address !== promoted : address === promoted;
      if (wrongWay)
        conn.destroy(
          new Error(`Sentinel switched ${name} from ${demoted} to ${promoted}: reconnect`),
        );
    }
    for (const wake of this.#wakers) wake();
  }
}

/** `subscribe +switch-master 1`: the sentinel took the subscription. */
function isConfirmation(reply: unknown): boolean {
  return Array.isArray(reply) && String(reply[0]) === 'subscribe';
}
