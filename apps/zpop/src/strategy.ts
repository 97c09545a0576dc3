import type { Conn } from '@x/conn';
import { zpopNative } from './zpop-native.js';
import { zpopLua } from './zpop-script.js';
import { zpopWatch } from './zpop-watch.js';

/** What one pop returns: the member (null when the set was empty) and how often EXEC was retried. */
export interface PopResult {
  member: string | null;
  retries: number;
}

/** A way to pop the lowest-scored member. */
export type Pop = (conn: Conn, key: string) => Promise<PopResult>;

/** The three strategies, by the name the command line uses. */
export const strategies = {
  watch: zpopWatch,
  script: zpopLua,
  native: zpopNative,
} satisfies Record<string, Pop>;

export type StrategyName = keyof typeof strategies;
