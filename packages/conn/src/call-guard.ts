import { TimeoutError } from './errors.js';
import { LongTimer, readTimeLimit } from './time-limit.js';
import type { CallOptions } from './types.js';

/**
 * Arms a call's time limit and abort signal: `giveUp` runs once, with a TimeoutError or the
 * signal's reason, unless the returned disarm function runs first. An already aborted signal
 * gives up at once; a bad `timeoutMs` gives up at once with its TypeError or RangeError, so the
 * caller's promise carries it. `timeoutMs` 0 or Infinity means no limit.
 */
export function armCallOptions(
  options: CallOptions,
  giveUp: (error: unknown) => void,
  what = 'reply',
): () => void {
  const { signal } = options;
  let timeoutMs: number;
  try {
    timeoutMs = readTimeLimit(options.timeoutMs, 'timeoutMs', 0);
  } catch (error) {
    giveUp(error);
    return () => {};
  }
  if (signal?.aborted) {
    giveUp(signal.reason);
    return () => {};
  }
  let timer: LongTimer | undefined;
  const onAbort = () => {
    disarm();
    giveUp(signal?.reason);
  };
  const disarm = () => {
    timer?.clear();
    signal?.removeEventListener('abort', onAbort);
  };
  if (timeoutMs > 0) {
    timer = new LongTimer(timeoutMs, () => {
      disarm();
      giveUp(new TimeoutError(`no ${what} within ${timeoutMs} ms`));
    });
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return disarm;
}

/** True when the options ask for a limit at all (a signal or a time limit). */
export function hasCallLimits(options: CallOptions | undefined): options is CallOptions {
  return options !== undefined && (options.signal !== undefined || options.timeoutMs !== undefined);
}
