import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmark, without types
import { turnOrder } from '../src/measure.mjs';

// Each contender must follow every other one equally often over a full cycle of rounds: a fixed
// neighbour would charge a contender with what that neighbour leaves behind.
describe('turnOrder', () => {
  for (const count of [1, 2, 3, 4, 5, 7, 8]) {
    it(`gives ${count} contenders every predecessor equally often`, () => {
      const cycle = count % 2 === 0 ? count : 2 * count;
      const follows = new Map<string, number>();
      const positions = new Map<string, number>();
      for (let round = 0; round < cycle; round++) {
        const order: number[] = turnOrder(round, count);
        expect([...order].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
        order.forEach((contender, position) => {
          const key = `${contender}@${position}`;
          positions.set(key, (positions.get(key) ?? 0) + 1);
          if (position > 0) {
            const pair = `${order[position - 1]}>${contender}`;
            follows.set(pair, (follows.get(pair) ?? 0) + 1);
          }
        });
      }
      const times = cycle / count;
      expect(follows.size).toBe(count * (count - 1));
      expect(new Set(follows.values())).toEqual(count > 1 ? new Set([times]) : new Set());
      expect(new Set(positions.values())).toEqual(new Set([times]));
    });
  }
});
