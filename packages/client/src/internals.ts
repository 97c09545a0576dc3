/**
 * Plumbing that other @x packages (@x/cluster) share with the client, exported as `__internal`:
 * not part of the public API, and free to change between minor versions.
 */
import type { __internal as conn } from '@x/conn';
import type { Arg, Reply } from '@x/resp';
import { type Client, recoveringCall } from './client.js';
import type { ClientCallOptions } from './client-options.js';

/**
 * `client.doWith(options, command, ...args)`, whose failures (error replies, lost connections,
 * offline limits) go to `recover`, and the caller's promise follows what it returns: a redirect
 * costs no promise of its own per call. The caller's own time limit and signal still reject.
 */
export function callRecovering(
  client: Client,
  options: ClientCallOptions | undefined,
  command: string,
  args: readonly Arg[],
  recover: conn.Recover,
): Promise<Reply> {
  return client[recoveringCall](options, command, args, recover);
}
