import type { Conn } from '@x/conn';
import { type Arg, type Reply, ReplyError } from '@x/resp';
import { isNoScript, type Script } from './script.js';

/** One script call in a batch: the script and its keys and arguments. */
export type ScriptCall<T = unknown> = readonly [script: Script<T>, ...keysAndArgs: Arg[]];

/**
 * ScriptResults types what runScripts resolves to, element by element: each script's result
 * type (as its `do` resolves to), or the ReplyError the server answered that call with.
 */
export type ScriptResults<Calls extends readonly ScriptCall[]> = {
  -readonly [Index in keyof Calls]: Calls[Index] extends ScriptCall<infer T>
    ? T | ReplyError
    : never;
};

/**
 * Runs several script calls in one round trip (EVALSHA in a pipeline). Calls that come back
 * NOSCRIPT get their script loaded once each and are run again, alone; results stay in the
 * caller's order, error replies as values (converted results otherwise). Not for use inside
 * MULTI: there EVALSHA is only queued, and a NOSCRIPT shows up in EXEC's result, too late to retry;
 * `load` the scripts before MULTI instead.
 */
export async function runScripts<const Calls extends readonly ScriptCall[]>(
  conn: Pick<Conn, 'pipeline'>,
  calls: Calls,
): Promise<ScriptResults<Calls>> {
  const pipeline = conn.pipeline();
  for (const [script, ...keysAndArgs] of calls) script.sendHash(pipeline, ...keysAndArgs);
  const replies: Reply[] = await pipeline.receiveAll();

  const missing = calls.map((_, index) => index).filter((index) => isNoScript(replies[index]));
  if (missing.length > 0) {
    const retry = conn.pipeline();
    const toLoad = new Map(missing.map((index) => [calls[index]![0].hash, calls[index]![0]]));
    for (const script of toLoad.values()) retry.send('SCRIPT', 'LOAD', script.source);
    for (const index of missing) {
      const [script, ...keysAndArgs] = calls[index]!;
      script.sendHash(retry, ...keysAndArgs);
    }
    const retried = (await retry.receiveAll()).slice(toLoad.size);
    missing.forEach((index, position) => {
      replies[index] = retried[position]!;
    });
  }
  return replies.map((reply, index) =>
    reply instanceof ReplyError ? reply : calls[index]![0].convert(reply),
  ) as ScriptResults<Calls>;
}
