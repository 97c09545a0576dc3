import { TimeoutError } from './errors.js';
import type { CallOptions } from './types.js';

/**
 * Arms a call's time limit and abort signal: `giveUp` runs once, with a TimeoutError or the
 * signal's reason, unless the returned disarm function runs first. An already aborted signal
 * gives up at once.
 */
export function armCallOptions(
  options: CallOptions,
  giveUp: (error: unknown) => void,
  what = 'reply',
): () => void {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) {
    giveUp(signal.reason);
    return () => {};
  }
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    disarm();
    giveUp(signal?.reason);
  };
  const disarm = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      disarm();
      giveUp(new TimeoutError(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return disarm;
}
