import { type Reply, ReplyError } from '@x/resp';

/**
 * Helper converts a reply, or a promise of one (`await int(conn.do('INCR', 'k'))`). Given a plain
 * reply it converts at once; given a promise it returns a promise, and a rejection passes through
 * untouched. The plain-reply signature comes last so that `scan` schemas infer `T` from it.
 */
export interface Helper<T> {
  (reply: PromiseLike<Reply>): Promise<T>;
  (reply: Reply): T;
}

/** Makes a Helper from a conversion of a plain reply. An error reply is thrown as it is. */
export function helper<T>(convert: (reply: Reply) => T): Helper<T> {
  const run = (reply: Reply | PromiseLike<Reply>): T | Promise<T> => {
    if (isPromiseLike(reply)) return Promise.resolve(reply).then(run) as Promise<T>;
    if (reply instanceof ReplyError) throw reply;
    return convert(reply);
  };
  return run as Helper<T>;
}

function isPromiseLike(value: unknown): value is PromiseLike<Reply> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
