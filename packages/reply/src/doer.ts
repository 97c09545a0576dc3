import type { Reply } from '@x/resp';

/** An argument the iterators send: keys and patterns as given, cursors and counts as text or numbers. */
export type DoerArg = string | number | Uint8Array;

/**
 * Doer is anything with Redigo's `do`: an `@x/conn` Connection, an `@x/pool` Pool or pooled
 * connection, an `@x/client` Client. Structural, so this package needs none of them at run time.
 * When it also has `doWith` (Connection, Client), a signal reaches the call itself, and a command
 * aborted before it was written is never sent.
 */
export interface Doer {
  do(command: string, ...args: DoerArg[]): PromiseLike<Reply>;
  doWith?(
    options: { signal?: AbortSignal },
    command: string,
    ...args: DoerArg[]
  ): PromiseLike<Reply>;
}

/** Runs one command, rejecting with the signal's reason as soon as it aborts. */
export function callWith(
  doer: Doer,
  signal: AbortSignal | undefined,
  command: string,
  args: DoerArg[],
): Promise<Reply> {
  if (signal === undefined) return Promise.resolve(doer.do(command, ...args));
  throwIfAborted(signal);
  const pending =
    typeof doer.doWith === 'function'
      ? doer.doWith({ signal }, command, ...args)
      : doer.do(command, ...args);
  // A Doer without doWith cannot withdraw the command; its reply is simply not waited for.
  return new Promise<Reply>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(pending).then(
      (reply) => {
        signal.removeEventListener('abort', onAbort);
        resolve(reply);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Throws the signal's reason once it has aborted (AbortSignal's own method, which a polyfill may lack). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Throws a TypeError unless `value` has a `do` method: the careless caller hears it at once. */
export function checkDoer(value: unknown, name: string): asserts value is Doer {
  if (typeof (value as Partial<Doer> | null)?.do !== 'function') {
    throw new TypeError(
      `${name}: expected a connection, pool or client (an object with do()), got ${typeName(value)}`,
    );
  }
}

/** Names a value's type for argument errors. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return typeof value;
}
