import type { Arg, Push, Reply } from '@x/resp';
import type { Connection } from './connection.js';

/** CallOptions limits one call: an AbortSignal, a time limit, or both. */
export interface CallOptions {
  /** Abort the call: it rejects with the signal's reason, and its reply is read and dropped. */
  signal?: AbortSignal;
  /** Reject with TimeoutError when no reply arrives within this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Conn is what every connection in the toolkit offers (a plain connection, a pooled one, a
 * logging wrapper): Redigo's Conn interface, with promises.
 */
export interface Conn {
  /** Sends a command, flushes, and resolves to its reply after reading every earlier `send` reply. */
  do(command: string, ...args: Arg[]): Promise<Reply>;
  /** `do` with a signal and/or a time limit for this call alone. */
  doWith(options: CallOptions, command: string, ...args: Arg[]): Promise<Reply>;
  /** Queues a command in the output buffer without writing it. */
  send(command: string, ...args: Arg[]): void;
  /** Writes the output buffer. */
  flush(): Promise<void>;
  /** Resolves to the next reply of a `send`, or a reply the server sent unasked. */
  receive(): Promise<Reply>;
  /** `receive` with a signal and/or a time limit. */
  receiveWith(options: CallOptions): Promise<Reply>;
  /** A private queue of sends and replies on a shared connection. */
  pipeline(): Pipeline;
  /** Listens for RESP3 push frames; returns the function that stops listening. */
  onPush(listener: (push: Push) => void): () => void;
  /** The error that made the connection unusable, or null. */
  err(): Error | null;
  /** Closes the connection (a pooled one goes back to its pool). */
  close(): Promise<void>;
}

/** Pipeline is a caller's own queue of commands on a shared connection. */
export interface Pipeline {
  /** Queues a command; it is written with the next batch. */
  send(command: string, ...args: Arg[]): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Resolves to the reply of this pipeline's oldest unread send; rejects on an error reply. */
  receive(): Promise<Reply>;
  /** Flushes and resolves to every unread reply in order, error replies as values. */
  receiveAll(): Promise<Reply[]>;
}

/**
 * DialFunction opens a new, ready connection. The pool, the pub/sub Subscriber and the client call
 * it each time they need one, passing a signal that aborts the dial (they give up, or close):
 * `({ signal }) => dial(url, { signal })`. A dial factory such as Sentinel's has this shape, and
 * one DialFunction serves all three. The pool takes any `DialFunction<Conn>` (a logging wrapper,
 * say); the Subscriber and the client need a Connection, the default.
 */
export type DialFunction<C extends Conn = Connection> = (options: {
  signal: AbortSignal;
}) => Promise<C>;
