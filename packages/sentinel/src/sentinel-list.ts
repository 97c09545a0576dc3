import { type NodeAddress, type SentinelEndpoint, sameSentinelKey } from './node-address.js';

/**
 * SentinelList is the order in which sentinels are asked: the one that last gave an answer that
 * held up is first, as the Sentinel client protocol asks, and one that failed goes last. The configured sentinels always stay;
 * the ones the group reports (`SENTINEL SENTINELS`) are replaced by each new report, so the list
 * never holds more than the configured ones plus the latest report.
 */
export class SentinelList {
  #endpoints: SentinelEndpoint[];
  readonly #configured: Set<SentinelEndpoint>;
  /** Credentials and TLS for sentinels learnt from the group: those of the first configured one. */
  readonly #learnt: Omit<SentinelEndpoint, 'host' | 'port'>;

  constructor(configured: SentinelEndpoint[]) {
    this.#endpoints = [...configured];
    this.#configured = new Set(configured);
    const { host: _host, port: _port, ...credentials } = configured[0] as SentinelEndpoint;
    this.#learnt = credentials;
  }

  /** A copy in asking order. */
  inOrder(): SentinelEndpoint[] {
    return [...this.#endpoints];
  }

  /** Moves `endpoint` to the front. */
  promote(endpoint: SentinelEndpoint): void {
    const index = this.#endpoints.indexOf(endpoint);
    if (index <= 0) return;
    this.#endpoints.splice(index, 1);
    this.#endpoints.unshift(endpoint);
  }

  /** Moves `endpoint` to the end: it failed (down, hung, did not know, named a bad node). */
  demote(endpoint: SentinelEndpoint): void {
    const index = this.#endpoints.indexOf(endpoint);
    if (index < 0 || index === this.#endpoints.length - 1) return;
    this.#endpoints.splice(index, 1);
    this.#endpoints.push(endpoint);
  }

  /**
   * Takes `reporter`'s list of the other sentinels: learnt sentinels it no longer reports go
   * (except the reporter itself), new ones join the end. A sentinel does not report itself.
   */
  replaceReported(reporter: SentinelEndpoint, reported: readonly NodeAddress[]): void {
    const now = new Map(reported.map((address) => [sameSentinelKey(address), address]));
    this.#endpoints = this.#endpoints.filter(
      (endpoint) =>
        this.#configured.has(endpoint) ||
        endpoint === reporter ||
        now.has(sameSentinelKey(endpoint)),
    );
    const known = new Set(this.#endpoints.map(sameSentinelKey));
    for (const [key, address] of now) {
      if (known.has(key)) continue;
      known.add(key);
      this.#endpoints.push({ ...this.#learnt, ...address });
    }
  }
}
