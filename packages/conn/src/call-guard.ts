import { TimeoutError } from './errors.js';
import { LongTimer, readTimeLimit } from './time-limit.js';
import type { CallOptions } from './types.js';

/**
 * Checks a call's options: an object, `timeoutMs` a number of milliseconds (0 or Infinity: no
 * limit), `signal` an AbortSignal. Returns the TypeError or RangeError to reject with, or null.
 */
export function checkCallOptions(options: unknown): Error | null {
  if (options === undefined) return null;
  if (typeof options !== 'object' || options === null)
    return new TypeError(
      `call options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  const { signal, timeoutMs } = options as CallOptions;
  try {
    readTimeLimit(timeoutMs, 'timeoutMs', 0);
  } catch (error) {
    return error as Error;
  }
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof signal.addEventListener !== 'function' ||
      typeof signal.aborted !== 'boolean')
  )
    return new TypeError('signal must be an AbortSignal');
  return null;
}

/**
 * Arms a call's time limit and abort signal: `giveUp` runs once, with a TimeoutError or the
 * signal's reason, unless the returned disarm function runs first. An already aborted signal
 * gives up at once; bad options (see checkCallOptions) give up at once with their error, so the
 * caller's promise carries it.
 *
 * @internal Shared with @x/pool and @x/pubsub through `__internal`; not public API.
 */
export function armCallOptions(
  options: CallOptions,
  giveUp: (error: unknown) => void,
  what = 'reply',
): () => void {
  const invalid = checkCallOptions(options);
  if (invalid !== null) {
    giveUp(invalid);
    return () => {};
  }
  const { signal } = options;
  const timeoutMs = readTimeLimit(options.timeoutMs, 'timeoutMs', 0);
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

/** A caller waiting in a queue until whoever holds the queue hands it a value or an error. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Waits in a queue under a call's options. `enter` queues the waiter, which whoever serves the
 * queue settles later; when the time limit or the signal fires first, `leave` takes it out and
 * the promise rejects. An already aborted signal or bad options reject at once, and nothing is
 * queued. Without limits nothing is armed: the common case costs one promise.
 */
export function waitInQueue<T>(
  options: CallOptions | undefined,
  enter: (waiter: Waiter<T>) => void,
  leave: (waiter: Waiter<T>) => void,
  what = 'reply',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!hasCallLimits(options)) {
      enter({ resolve, reject });
      return;
    }
    let queued = false;
    let gaveUp = false;
    const waiter: Waiter<T> = {
      resolve: (value) => {
        disarm();
        resolve(value);
      },
      reject: (error) => {
        disarm();
        reject(error);
      },
    };
    const disarm = armCallOptions(
      options,
      (error) => {
        gaveUp = true;
        if (queued) leave(waiter);
        reject(error);
      },
      what,
    );
    // An already aborted signal or bad options gave up inside armCallOptions: queue nothing.
    if (gaveUp) return;
    queued = true;
    enter(waiter);
  });
}

/**
 * One AbortSignal for a whole call made of several steps (wait, then dial): it aborts with the
 * options' TimeoutError or signal reason, or with `also`'s reason (an owner that closes).
 * `disarm` must run when the call ends, so that no timer or listener outlives it.
 */
export function callSignal(
  options: CallOptions,
  what: string,
  also?: AbortSignal,
): { signal: AbortSignal; disarm: () => void } {
  const controller = new AbortController();
  const giveUp = (error: unknown) => {
    if (!controller.signal.aborted) controller.abort(error);
  };
  const disarmCall = armCallOptions(options, giveUp, what);
  const disarmAlso = also === undefined ? () => {} : armCallOptions({ signal: also }, giveUp);
  return {
    signal: controller.signal,
    disarm: () => {
      disarmCall();
      disarmAlso();
    },
  };
}
