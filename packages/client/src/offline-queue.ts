/**
 * OfflineQueue holds what waits for a connection (the client's requests, the cache's reads): in
 * the order they are to be sent, each with the time by which it must have one. That time counts
 * from when the item first began to wait, across every connection it is carried over from, so `waitMs` bounds its whole
 * wait however often connections come and go.
 *
 *   order (Map, insertion order):  r1 ──► r2 ──► r3 ──► r4       send order
 *   due (the Map's values):        9.8s   9.9s   3.1s   10.0s     r3 was carried over: older
 *   one timer, at the earliest due (never sooner than granularityMs after the last sweep)
 */
export class OfflineQueue<Item extends object> {
  readonly #waitMs: number;
  readonly #expire: (requests: Item[]) => void;
  readonly #order = new Map<Item, number>();
  readonly #firstWaited = new WeakMap<Item, number>();
  /** Requests that were written once (carried over idempotent retries): they may have run. */
  readonly #written = new WeakSet<Item>();
  readonly #granularityMs: number;
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Number.POSITIVE_INFINITY;

  /** `waitMs` 0 means no limit; `expire` receives the requests whose time ran out, removed. */
  constructor(waitMs: number, expire: (requests: Item[]) => void) {
    this.#waitMs = waitMs;
    this.#expire = expire;
    // Sweeps scan every waiting request: at most about 50 per waitMs, at least 5 ms apart.
    this.#granularityMs = Math.min(200, Math.max(5, Math.floor(waitMs / 50)));
  }

  get size(): number {
    return this.#order.size;
  }

  /** Queues a request at the end; false when its time to wait has already run out. */
  add(request: Item): boolean {
    const now = performance.now();
    let since = this.#firstWaited.get(request);
    if (since === undefined) {
      since = now;
      this.#firstWaited.set(request, since);
    }
    const due = this.#waitMs === 0 ? Number.POSITIVE_INFINITY : since + this.#waitMs;
    if (due <= now) return false;
    this.#order.set(request, due);
    if (due < this.#armedFor) this.#arm(due, now);
    return true;
  }

  /** Notes that a request was written once, so that its failure says `sent: true`. */
  markWritten(request: Item): void {
    this.#written.add(request);
  }

  /** Whether the request was ever written. */
  wasWritten(request: Item): boolean {
    return this.#written.has(request);
  }

  /** Takes one request out; false when it was not waiting. */
  remove(request: Item): boolean {
    if (!this.#order.delete(request)) return false;
    if (this.#order.size === 0) this.#disarm();
    return true;
  }

  /** Takes every request out, oldest first. */
  takeAll(): Item[] {
    const requests = [...this.#order.keys()];
    this.#order.clear();
    this.#disarm();
    return requests;
  }

  #arm(due: number, now: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#armedFor = due;
    this.#timer = setTimeout(
      () => this.#sweep(),
      Math.min(2 ** 31 - 1, Math.max(this.#granularityMs, Math.ceil(due - now))),
    );
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #sweep(): void {
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const expired: Item[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [request, due] of this.#order) {
      if (due <= now) {
        this.#order.delete(request);
        expired.push(request);
      } else if (due < next) {
        next = due;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next, now);
    if (expired.length > 0) this.#expire(expired);
  }
}
