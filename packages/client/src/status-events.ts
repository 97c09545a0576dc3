/** Where the client is: its status moves only along these lines. */
export type ClientStatus = 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** StatusEvent tells a listener where the client is, and why when it is not ready. */
export interface StatusEvent {
  readonly status: ClientStatus;
  /** Why the client has no connection: the last failed attempt's error or the lost connection's. */
  readonly error?: unknown;
  /**
   * Failed connection attempts, and connections lost within `maxDelayMs`, in a row; back to 0
   * when a connection that held longer is lost.
   */
  readonly failures: number;
  /** The wait before the next connection attempt, when one is due. */
  readonly retryInMs?: number;
}

/** StatusListeners calls each listener with every event; a listener that throws breaks none. */
export class StatusListeners {
  readonly #listeners = new Set<(event: StatusEvent) => void>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: (event: StatusEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener; builds the event only when someone listens. */
  emit(status: ClientStatus, failures: number, error: unknown, retryInMs?: number): void {
    if (this.#listeners.size === 0) return;
    const event: StatusEvent = {
      status,
      failures,
      ...(error === undefined || error === null ? {} : { error }),
      ...(retryInMs === undefined || status === 'ready' || status === 'closed'
        ? {}
        : { retryInMs }),
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (thrown) {
        // A listener's bug must not break reconnection; surface it as an uncaught error.
        queueMicrotask(() => {
          throw thrown;
        });
      }
    }
  }
}
