/** Where a node listens, as the cluster reports it, or as the NAT map turns it. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * NatMap turns the address a node reports (in CLUSTER SLOTS, MOVED, ASK) into one this process
 * can reach: a table keyed by `host:port`, or a function. Addresses not in a table are used as
 * reported.
 */
export type NatMap =
  | Readonly<Record<string, NodeAddress | string>>
  | ((reported: NodeAddress) => NodeAddress);

/** The key of a node everywhere in this package: `host:port` (IPv6 hosts unbracketed, as Redis writes them). */
export function addressKey(address: NodeAddress): string {
  return `${address.host}:${address.port}`;
}

/** Parses `host:port` (the last colon splits, so `::1:7000` works as Redis writes it). */
export function parseAddress(text: string, fallbackHost: string): NodeAddress | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) return null;
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // Redis reports an empty host when it does not know its own address: it is the one we asked.
  return { host: host === '' || host === '?' ? fallbackHost : host, port };
}

/** Applies the NAT map, if any. */
export function mapAddress(reported: NodeAddress, natMap: NatMap | undefined): NodeAddress {
  if (natMap === undefined) return reported;
  if (typeof natMap === 'function') {
    const mapped = natMap(reported);
    if (
      typeof mapped !== 'object' ||
      mapped === null ||
      typeof mapped.host !== 'string' ||
      !Number.isInteger(mapped.port)
    )
      throw new TypeError(
        `natMap must return { host, port } for ${addressKey(reported)}, got ${String(mapped)}`,
      );
    return mapped;
  }
  const mapped = natMap[addressKey(reported)];
  if (mapped === undefined) return reported;
  if (typeof mapped !== 'string') return mapped;
  const parsed = parseAddress(mapped, reported.host);
  if (parsed === null)
    throw new TypeError(`natMap entry for ${addressKey(reported)} is not host:port: ${mapped}`);
  return parsed;
}
