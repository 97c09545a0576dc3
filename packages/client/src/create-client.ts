import { type DialFunction, dial } from '@x/conn';
import { Client } from './client.js';
import { type ClientOptions, readClientOptions, urlDialOptions } from './client-options.js';

/**
 * Creates a client and starts connecting at once; calls made before the connection is up wait
 * for it. `target` is a URL or address as `dial()` takes it (with every dial option in
 * `options`), or a dial function such as Sentinel's, which then owns the dial options.
 */
export function createClient(target?: string | DialFunction, options: ClientOptions = {}): Client {
  const settings = readClientOptions(options);
  if (typeof target === 'function') {
    const given = Object.keys(settings.dialOptions);
    if (given.length > 0)
      throw new TypeError(
        `with a dial function, dial options belong to it, not to createClient: ${given.join(', ')}`,
      );
    return new Client((signal) => target({ signal }), settings, false);
  }
  if (target !== undefined && typeof target !== 'string')
    throw new TypeError(
      `createClient takes a URL, an address or a dial function, got ${target === null ? 'null' : typeof target}`,
    );
  // Not switched on quietly: RESP3 changes the shape of other replies (maps, sets, doubles).
  if (settings.cache !== null && settings.dialOptions.protocol !== 3)
    throw new TypeError(
      'client-side caching needs protocol: 3 (invalidations arrive as RESP3 push frames)',
    );
  const dialOptions = urlDialOptions(settings);
  return new Client((signal) => dial(target, { ...dialOptions, signal }), settings, true);
}
