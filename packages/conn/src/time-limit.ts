/** The longest delay setTimeout honours; longer ones fire after 1 ms in Node. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads a time-limit option: `undefined` gives `fallback`, 0 and Infinity mean "no limit" (returned
 * as 0), any other non-negative number is used as is. Throws a TypeError or RangeError that names
 * the option for anything else, so a bad value is refused where it is given.
 */
export function readTimeLimit(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new TypeError(`${name} must be a number of milliseconds, got ${describe(value)}`);
  if (value < 0) throw new RangeError(`${name} must be 0 or more, got ${value}`);
  return value === Number.POSITIVE_INFINITY ? 0 : value;
}

/** Reads a count option (a positive safe integer); same rules for errors as readTimeLimit. */
export function readCount(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a whole number of 1 or more, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

/** A timer that honours any delay, also one longer than setTimeout's 24.8 days. */
export class LongTimer {
  #handle: NodeJS.Timeout | undefined;

  /** Runs `fire` after `delayMs`; the timer never keeps the process alive when `unref` is set. */
  constructor(delayMs: number, fire: () => void, unref = false) {
    const dueAt = Date.now() + delayMs;
    const arm = (remaining: number) => {
      this.#handle = setTimeout(
        () => {
          const left = dueAt - Date.now();
          if (left > 0) arm(left);
          else fire();
        },
        Math.min(remaining, MAX_TIMER_MS),
      );
      if (unref) this.#handle.unref();
    };
    arm(delayMs);
  }

  /** Stops the timer; `fire` will not run. */
  clear(): void {
    clearTimeout(this.#handle);
  }
}

/**
 * An AbortSignal that aborts after `ms`: AbortSignal.timeout takes whole milliseconds up to
 * 2^31 - 1 only (a fraction throws RangeError; more fires at once), so `ms` is rounded up and
 * capped (about 24.8 days).
 */
export function timeoutSignal(ms: number): AbortSignal {
  return AbortSignal.timeout(Math.min(Math.ceil(ms), 2 ** 31 - 1));
}
