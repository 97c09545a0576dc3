import { tracingChannel } from 'node:diagnostics_channel';

/** The five events of a TracingChannel, in the order `tracePromise` publishes them. */
export type TraceEvent = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

/** TraceRecorder keeps every event of one TracingChannel, per context object. */
export interface TraceRecorder<Context extends object> {
  /** Each context seen, in the order of its start event. */
  readonly contexts: Context[];
  /** The events one context received, in order. */
  eventsOf(context: Context): TraceEvent[];
  /** Contexts whose events are not start, end, [error,] asyncStart, asyncEnd, each once. */
  malformed(): { context: Context; events: TraceEvent[] }[];
  /** Stops recording. */
  stop(): void;
}

const succeeded = 'start end asyncStart asyncEnd';
const failed = 'start end error asyncStart asyncEnd';

/** Subscribes to the TracingChannel `name` and records what it publishes until stop(). */
export function recordTraces<Context extends object>(name: string): TraceRecorder<Context> {
  const channel = tracingChannel(name);
  const events = new Map<Context, TraceEvent[]>();
  const contexts: Context[] = [];
  const note = (event: TraceEvent) => (message: unknown) => {
    const context = message as Context;
    let seen = events.get(context);
    if (seen === undefined) {
      seen = [];
      events.set(context, seen);
      contexts.push(context);
    }
    seen.push(event);
  };
  const handlers = {
    start: note('start'),
    end: note('end'),
    asyncStart: note('asyncStart'),
    asyncEnd: note('asyncEnd'),
    error: note('error'),
  };
  channel.subscribe(handlers);
  return {
    contexts,
    eventsOf: (context) => events.get(context) ?? [],
    malformed: () =>
      contexts
        .map((context) => ({ context, events: events.get(context) ?? [] }))
        .filter(({ events: seen }) => ![succeeded, failed].includes(seen.join(' '))),
    stop: () => channel.unsubscribe(handlers),
  };
}
