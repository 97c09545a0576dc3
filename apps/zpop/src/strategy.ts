import type { Client } from '@x/client';
import { zpopNative } from './zpop-native.js';
import { zpopLua } from './zpop-script.js';
import { zpopWatch } from './zpop-watch.js';

/** What one pop returns: the member (null when the set was empty) and how often EXEC was retried. */
export interface PopResult {
  member: string | null;
  retries: number;
}

/** A way to pop the lowest-scored member, through the application's one client. */
export type Pop = (client: Client, key: string) => Promise<PopResult>;

/**
 * The three strategies, by the name the command line uses. The script and ZPOPMIN share the
 * client's one connection with every other worker; WATCH needs a connection of its own, which
 * `client.exclusive()` lends from its pool.
 */
export const strategies = {
  watch: (client, key) => client.exclusive((conn) => zpopWatch(conn, key)),
  script: zpopLua,
  native: zpopNative,
} satisfies Record<string, Pop>;

export type StrategyName = keyof typeof strategies;
