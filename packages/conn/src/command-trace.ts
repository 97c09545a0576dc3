import { type Reply, ReplyError } from '@x/resp';
import { commandEndChannel, commandStartChannel, commandTracing } from './diagnostics.js';
import { commandRedaction, type Redaction, redactArgs } from './redaction.js';
import type { CommandTraceContext, TraceTarget } from './trace-context.js';

/**
 * CommandTrace publishes one command on the `x:conn:command` TracingChannel, as
 * `tracePromise` would: start and end when it is issued; when it settles, error (on failure),
 * asyncStart and asyncEnd, exactly once. It also feeds the older `@x/conn:command:start` and
 * `:end` channels. Only made when someone subscribes (see `tracing()`).
 */
export class CommandTrace {
  #redaction: Redaction;
  /** The TracingChannel's context until the command settles there; then null. */
  #context: CommandTraceContext | null = null;
  /** For the older channels: when the command started, or -1 when nobody listens there. */
  readonly #startMs: number = -1;
  readonly #command: string;
  readonly #connectionId: number;

  constructor(command: string, args: readonly unknown[], target: TraceTarget) {
    this.#command = command;
    this.#connectionId = target.connectionId;
    this.#redaction = commandRedaction(command, args);
    const shownArgs = redactArgs(command, args);
    if (commandStartChannel.hasSubscribers || commandEndChannel.hasSubscribers) {
      this.#startMs = performance.now();
      commandStartChannel.publish({
        command,
        args: shownArgs,
        connectionId: target.connectionId,
      });
    }
    if (commandTracing.hasSubscribers) {
      const context: CommandTraceContext = {
        command,
        args: shownArgs,
        connectionId: target.connectionId,
        serverAddress: target.serverAddress,
        serverPort: target.serverPort,
        database: target.database,
      };
      this.#context = context;
      // Nothing the caller waits for happens synchronously: the reply comes with a later read.
      commandTracing.start.publish(context);
      commandTracing.end.publish(context);
    }
  }

  /** The command goes out on another connection (a client's carry-over): name that one. */
  retarget(target: TraceTarget): void {
    const context = this.#context as Mutable<CommandTraceContext> | null;
    if (context === null) return;
    context.connectionId = target.connectionId;
    context.serverAddress = target.serverAddress;
    context.serverPort = target.serverPort;
    context.database = target.database;
  }

  /** Shows the outcome as `redaction` says (EXEC after a transaction with secrets). */
  redactWith(redaction: Redaction): void {
    this.#redaction = redaction;
  }

  /**
   * The caller gave up (time limit, signal) after the command was written: for the caller the
   * command failed now, so the TracingChannel hears so; its late reply ends the older channels.
   */
  gaveUp(error: unknown): void {
    this.#settleContext(undefined, error);
  }

  /** The command settled: with the server's reply, or with `error`. */
  settled(reply: Reply | undefined, error: unknown): void {
    const failure = error ?? (reply instanceof ReplyError ? reply : undefined);
    if (this.#startMs >= 0) {
      const message: Record<string, unknown> = {
        command: this.#command,
        connectionId: this.#connectionId,
        durationMs: performance.now() - this.#startMs,
      };
      if (failure === undefined) message.reply = this.#redaction.reply(reply);
      else message.error = this.#redaction.error(failure);
      commandEndChannel.publish(message);
    }
    this.#settleContext(reply, failure);
  }

  #settleContext(reply: Reply | undefined, failure: unknown): void {
    const context = this.#context;
    if (context === null) return;
    this.#context = null;
    if (failure === undefined) {
      context.result = this.#redaction.reply(reply);
    } else {
      context.error = this.#redaction.error(failure);
      commandTracing.error.publish(context);
    }
    commandTracing.asyncStart.publish(context);
    commandTracing.asyncEnd.publish(context);
  }
}

type Mutable<T> = { -readonly [Key in keyof T]: T[Key] };
