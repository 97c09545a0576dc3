import { formatAddress, type NodeAddress, type SentinelEndpoint } from './node-address.js';

/**
 * SentinelList is the order in which sentinels are asked: the one that last gave an answer that
 * held up is first, as the Sentinel client protocol asks; sentinels the group reports are added
 * at the end, with the credentials of the configured ones.
 */
export class SentinelList {
  #endpoints: SentinelEndpoint[];
  /** Credentials and TLS for sentinels learnt from the group: those of the first configured one. */
  readonly #learnt: Omit<SentinelEndpoint, 'host' | 'port'>;

  constructor(configured: SentinelEndpoint[]) {
    this.#endpoints = [...configured];
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

  /** Adds sentinels not in the list yet; none is ever removed (a down one is only asked later). */
  add(reported: readonly NodeAddress[]): void {
    const known = new Set(this.#endpoints.map(formatAddress));
    for (const address of reported) {
      const key = formatAddress(address);
      if (known.has(key)) continue;
      known.add(key);
      this.#endpoints.push({ ...this.#learnt, ...address });
    }
  }
}
