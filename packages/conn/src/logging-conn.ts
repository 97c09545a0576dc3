import { inspect } from 'node:util';
import { type Arg, type Push, type Reply, ReplyError } from '@x/resp';
import type { AsyncDisposableConn } from './async-dispose.js';
import { CommandKind, commandKind } from './command-kind.js';
import {
  commandRedaction,
  type Redaction,
  redactArgs,
  redactedReply,
  redactValue,
  showAll,
  TransactionWatch,
} from './redaction.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

/** Logger receives one line per call. `console.log` fits. */
export type Logger = (line: string) => void;

/** Hides a whole reply: what the log cannot attribute to a command without secrets. */
const hideAll: Redaction = { reply: () => redactedReply, error: (error) => error };

/**
 * SendRedactions mirrors the owner's reply stream (the replies of `send`, read by `receive` or
 * collected by `do`) so that each reply is logged as the command that asked for it allows.
 * Replies nobody asked for (pub/sub, MONITOR) and receives given up put the mirror out of step;
 * from then on every reply read from the stream is hidden while a secret send may be unread.
 */
class SendRedactions {
  /** How to show the unread sends' replies, oldest first. */
  #unread: Redaction[] = [];
  #inStep = true;
  #sends = 0;
  /** The number of the latest send whose reply or error is redacted. */
  #lastSecret = 0;
  /** Every send up to this number has been collected by a `do`. */
  #collectedUpTo = 0;

  sent(kind: CommandKind, redaction: Redaction): void {
    this.#sends++;
    if (redaction !== showAll) this.#lastSecret = this.#sends;
    this.written(kind);
    this.#unread.push(redaction);
  }

  /** A command of this kind went out, by `send` or by a pipeline on the same connection. */
  written(kind: CommandKind): void {
    // RESP2 confirmations and messages, and MONITOR lines, join the owner's stream unasked.
    if (
      kind === CommandKind.Subscribe ||
      kind === CommandKind.Unsubscribe ||
      kind === CommandKind.Monitor
    )
      this.#inStep = false;
  }

  /** A receive() takes the next reply: how to show it. */
  receive(): Redaction {
    const next = this.#unread.shift() ?? showAll;
    return this.#inStep ? next : this.#guard();
  }

  /** A receive() failed: unless with an error reply, it may have taken nothing. */
  receiveFailed(error: unknown): void {
    if (!(error instanceof ReplyError)) this.#inStep = false;
  }

  /** A `do` collects every unread send; `done` tells once it settles how it went. */
  collect(): { redactions: Redaction[]; done: (error?: unknown) => void } {
    const redactions = this.#unread.splice(0);
    const upTo = this.#sends;
    const done = (error?: unknown) => {
      // Failed before collecting (refused) or part-way (time limit): the stream is unknown.
      if (error !== undefined && !(error instanceof ReplyError)) this.#inStep = false;
      else this.#collectedUpTo = Math.max(this.#collectedUpTo, upTo);
    };
    return { redactions: this.#inStep ? redactions : [this.#guard()], done };
  }

  #guard(): Redaction {
    return this.#lastSecret > this.#collectedUpTo ? hideAll : showAll;
  }
}

/** The calls seen since a MULTI, and whether EXEC's elements can still be matched with them. */
interface Transaction {
  /** Calls in the transaction that have not settled yet. */
  unsettled: number;
  /**
   * Every call reached the server (it answered: a reply, QUEUED or a queue-time error reply), the
   * MULTI opened a transaction, and no pipeline taken from the wrapper may have added commands.
   */
  certain: boolean;
}

/**
 * TransactionCertainty tells whether TransactionWatch, which counts the commands the wrapper was
 * asked to run since MULTI, counted the commands the server queued: a call refused before it is
 * written (a bad argument, an aborted signal) is counted but never queued, a pipeline's commands
 * are queued but never counted, and a MULTI the server refused opens nothing. Only when it is
 * certain are EXEC's elements shown one by one; otherwise the whole reply is hidden. Where a
 * transaction opens and ends is the watch's to say.
 */
class TransactionCertainty {
  #open: Transaction | null = null;

  /**
   * A command went out, by a call (`do`, `doWith`) or by `send`; `watch` has just noted it.
   * `settled` is told how a call ended (a send: at once, once queued); `vouched` says, once EXEC
   * is answered, whether its elements can be matched.
   */
  note(watch: TransactionWatch): { settled: (error?: unknown) => void; vouched: () => boolean } {
    const opening = this.#open === null && watch.open;
    if (opening) this.#open = { unsettled: 0, certain: true };
    const transaction = this.#open;
    if (!watch.open) this.#open = null;
    // Every call from the MULTI that opens it to the one before the command that ends it.
    const counted = transaction !== null && watch.open;
    if (counted) transaction.unsettled++;
    return {
      settled: (error) => {
        if (!counted) return;
        transaction.unsettled--;
        // Only an error reply shows the command reached the server; a refused MULTI opened nothing.
        if (error !== undefined && (opening || !(error instanceof ReplyError)))
          transaction.certain = false;
      },
      vouched: () => transaction?.certain === true && transaction.unsettled === 0,
    };
  }

  /** A pipeline taken from the wrapper, or one of its sends: the server may queue unseen commands. */
  bypassed(): void {
    if (this.#open !== null) this.#open.certain = false;
  }
}

/** Each error redaction in turn: the error of a `do` may be any collected send's. */
function allErrors(redactions: readonly Redaction[]): Redaction {
  return {
    reply: (reply) => reply,
    error: (error) => redactions.reduce((shown, redaction) => redaction.error(shown), error),
  };
}

/** do(""): one reply per collected send, each shown as its command allows. */
function eachReply(redactions: readonly Redaction[]): Redaction {
  return {
    reply: (replies) =>
      Array.isArray(replies) && replies.length === redactions.length
        ? replies.map((reply, index) => redactValue(redactions[index]!, reply))
        : redactions.every((redaction) => redaction === showAll)
          ? replies
          : redactedReply,
    error: allErrors(redactions).error,
  };
}

/**
 * Wraps a connection so that every call is logged with its arguments and outcome, as Redigo's
 * NewLoggingConn does. Arguments of AUTH, HELLO and the like are replaced by '?', and so are
 * replies that may hold a password (CONFIG GET requirepass), inside EXEC's reply too.
 */
export function newLoggingConn(
  conn: Conn,
  log: Logger,
  prefix = 'redis',
): Conn & AsyncDisposableConn {
  const transaction = new TransactionWatch();
  const certainty = new TransactionCertainty();
  const sends = new SendRedactions();
  const show = (value: unknown) =>
    inspect(value, { breakLength: Number.POSITIVE_INFINITY, depth: 4 });
  const describe = (command: string, args: readonly Arg[]) =>
    [command, ...redactArgs(command, args)].map(show).join(', ');
  // In call order, which is the order the connection writes the owner's commands in. `settled`
  // is told how the call ended (a send, once it is queued).
  const redactionOf = (command: string, args: readonly Arg[]) => {
    const kind = commandKind(command);
    const exec = transaction.note(kind, [command, ...args]);
    const { settled, vouched } = certainty.note(transaction);
    // EXEC's elements, each as its command allows, only if which command each answers is certain;
    // an EXEC outside any transaction the wrapper saw (a DISCARD given up, say) is hidden whole.
    const redaction: Redaction =
      kind !== CommandKind.Exec
        ? commandRedaction(command, args)
        : {
            reply: (reply) => (exec !== null && vouched() ? exec.reply(reply) : redactedReply),
            error: (error) => (exec ?? showAll).error(error),
          };
    return { kind, redaction, settled };
  };
  const logged = async <T>(
    call: string,
    run: () => Promise<T>,
    redaction: Redaction = showAll,
    settled: (error?: unknown) => void = () => {},
  ): Promise<T> => {
    try {
      const result = await run();
      settled();
      log(`${prefix}.${call} -> (${show(redaction.reply(result))}, null)`);
      return result;
    } catch (error) {
      settled(error);
      // Servers echo the arguments of a command they refuse: redact them as in the call.
      const shown = redaction.error(error);
      log(
        `${prefix}.${call} -> (null, ${shown instanceof Error ? `${shown.name}: ${shown.message}` : show(shown)})`,
      );
      throw error;
    }
  };
  // A `do` reads every unread send's reply too: do("") returns them, do(cmd) may throw one's error.
  const loggedDo = (call: string, run: () => Promise<Reply>, command: string, args: Arg[]) => {
    const own = command === '' ? null : redactionOf(command, args);
    const { redactions, done } = sends.collect();
    const redaction =
      own === null
        ? eachReply(redactions)
        : { reply: own.redaction.reply, error: allErrors([...redactions, own.redaction]).error };
    return logged(call, run, redaction, (error) => {
      done(error);
      own?.settled(error);
    });
  };
  const receiving = (call: string, run: () => Promise<Reply>) =>
    logged(call, run, sends.receive(), (error) => {
      if (error !== undefined) sends.receiveFailed(error);
    });
  const wrapped: Conn & AsyncDisposableConn = {
    do: (command, ...args) =>
      loggedDo(`do(${describe(command, args)})`, () => conn.do(command, ...args), command, args),
    doWith: (options: CallOptions, command, ...args) =>
      loggedDo(
        `doWith(${describe(command, args)})`,
        () => conn.doWith(options, command, ...args),
        command,
        args,
      ),
    send: (command, ...args) => {
      log(`${prefix}.send(${describe(command, args)})`);
      conn.send(command, ...args);
      const { kind, redaction, settled } = redactionOf(command, args);
      settled();
      sends.sent(kind, redaction);
    },
    flush: () => logged('flush()', () => conn.flush()),
    receive: () => receiving('receive()', () => conn.receive()),
    receiveWith: (options) => receiving('receiveWith()', () => conn.receiveWith(options)),
    pipeline: (): Pipeline => {
      const pipeline = conn.pipeline();
      certainty.bypassed();
      return {
        send: (command, ...args) => {
          certainty.bypassed();
          pipeline.send(command, ...args);
          sends.written(commandKind(command));
        },
        flush: () => pipeline.flush(),
        receive: () => pipeline.receive(),
        receiveAll: () => pipeline.receiveAll(),
      };
    },
    onPush: (listener: (push: Push) => void) => conn.onPush(listener),
    err: () => conn.err(),
    close: () => logged('close()', () => conn.close()),
    // `await using`: closes the wrapped connection, logged as close().
    [Symbol.asyncDispose]: () => wrapped.close(),
  };
  // A pool destroys a loan through destroy(), when the connection has one: keep it reachable.
  const destroyable = conn as Conn & { destroy?: (reason?: unknown) => void };
  if (typeof destroyable.destroy === 'function') {
    const destroy = destroyable.destroy.bind(conn);
    Object.assign(wrapped, {
      destroy: (reason?: unknown) => {
        log(`${prefix}.destroy()`);
        destroy(reason);
      },
    });
  }
  return wrapped;
}
