import type { PooledConn } from '@x/pool';
import type { Arg } from '@x/resp';
import { CrossSlotError } from './errors.js';

/** Finds the slots of a command's keys; null when they cannot be found. */
export type SlotsOf = (command: string, args: readonly Arg[]) => number[] | null;

/**
 * Wraps a connection lent by `cluster.exclusive(key, …)` so that a command whose keys hash to a
 * slot other than `slot` throws CrossSlotError before it is sent: inside WATCH/MULTI/EXEC the
 * server would refuse it only at EXEC, or (for another node's slot) answer MOVED mid-transaction.
 */
export function guardSlot(conn: PooledConn, slot: number, slotsOf: SlotsOf): PooledConn {
  const check = (command: string, args: readonly Arg[]) => {
    if (typeof command !== 'string') return;
    const slots = slotsOf(command, args.flat() as Arg[]);
    if (slots === null) return;
    const other = slots.find((each) => each !== slot);
    if (other !== undefined)
      throw new CrossSlotError(
        `${command} touches slot ${other}, but this exclusive connection serves slot ${slot}: use {hash tags} to keep a transaction's keys in one slot`,
      );
  };
  return new Proxy(conn, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      switch (property) {
        case 'do':
        case 'send':
          return (command: string, ...args: Arg[]) => {
            try {
              check(command, args);
            } catch (error) {
              if (property === 'send') throw error;
              return Promise.reject(error);
            }
            return value.call(target, command, ...args);
          };
        case 'doWith':
          return (options: unknown, command: string, ...args: Arg[]) => {
            try {
              check(command, args);
            } catch (error) {
              return Promise.reject(error);
            }
            return value.call(target, options, command, ...args);
          };
        case 'pipeline':
          return () => {
            const pipeline = value.call(target);
            return new Proxy(pipeline, {
              get(inner, name, innerReceiver) {
                const member = Reflect.get(inner, name, innerReceiver);
                if (name !== 'send' || typeof member !== 'function')
                  return typeof member === 'function' ? member.bind(inner) : member;
                return (command: string, ...args: Arg[]) => {
                  check(command, args);
                  return member.call(inner, command, ...args);
                };
              },
            });
          };
        default:
          return value.bind(target);
      }
    },
  });
}
