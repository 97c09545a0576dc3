import type { Arg, Reply } from '@x/resp';

/** Doer is anything that runs a command: a Connection, a pooled connection, or a Pool. */
export interface Doer {
  do(command: string, ...args: Arg[]): Promise<Reply>;
}

/** Sender queues commands for a pipeline: a Connection or a pooled connection. */
export interface Sender {
  send(command: string, ...args: Arg[]): void;
}

/** Converts a script's raw reply into its result type, such as @x/reply's `int`. */
export type ReplyConverter<T> = (reply: Reply) => T;
