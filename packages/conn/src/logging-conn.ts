import { inspect } from 'node:util';
import type { Arg, Push } from '@x/resp';
import { hidesReply, redactArgs, redactError, redactedReply } from './diagnostics.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

/** Logger receives one line per call. `console.log` fits. */
export type Logger = (line: string) => void;

/**
 * Wraps a connection so that every call is logged with its arguments and outcome, as Redigo's
 * NewLoggingConn does. Arguments of AUTH, HELLO and the like are replaced by '?'.
 */
export function newLoggingConn(conn: Conn, log: Logger, prefix = 'redis'): Conn {
  const show = (value: unknown) =>
    inspect(value, { breakLength: Number.POSITIVE_INFINITY, depth: 4 });
  const describe = (command: string, args: readonly Arg[]) =>
    [command, ...redactArgs(command, args)].map(show).join(', ');
  const logged = async <T>(
    call: string,
    run: () => Promise<T>,
    command = '',
    args: readonly Arg[] = [],
  ): Promise<T> => {
    const secret = hidesReply(command);
    try {
      const result = await run();
      log(`${prefix}.${call} -> (${secret ? redactedReply : show(result)}, null)`);
      return result;
    } catch (error) {
      // Servers echo the arguments of a command they refuse: redact them as in the call.
      const shown = redactError(command, args, error);
      log(
        `${prefix}.${call} -> (null, ${shown instanceof Error ? `${shown.name}: ${shown.message}` : show(shown)})`,
      );
      throw error;
    }
  };
  const wrapped: Conn = {
    do: (command, ...args) =>
      logged(`do(${describe(command, args)})`, () => conn.do(command, ...args), command, args),
    doWith: (options: CallOptions, command, ...args) =>
      logged(
        `doWith(${describe(command, args)})`,
        () => conn.doWith(options, command, ...args),
        command,
        args,
      ),
    send: (command, ...args) => {
      log(`${prefix}.send(${describe(command, args)})`);
      conn.send(command, ...args);
    },
    flush: () => logged('flush()', () => conn.flush()),
    receive: () => logged('receive()', () => conn.receive()),
    receiveWith: (options) => logged('receiveWith()', () => conn.receiveWith(options)),
    pipeline: (): Pipeline => conn.pipeline(),
    onPush: (listener: (push: Push) => void) => conn.onPush(listener),
    err: () => conn.err(),
    close: () => logged('close()', () => conn.close()),
  };
  return wrapped;
}
