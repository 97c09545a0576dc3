import { describe, expect, it } from 'vitest';
import { parseClusterSlots } from './slot-map.js';

const reply = [
  [0, 5460, ['10.0.0.1', 7000, 'a'], ['10.0.0.4', 7003, 'd']],
  [5461, 10922, ['10.0.0.2', 7001, 'b']],
  [10923, 16383, ['', 7002, 'c']],
];

describe('SlotMap', () => {
  it('reads CLUSTER SLOTS, an empty host standing for the node asked', () => {
    const map = parseClusterSlots(reply, '10.0.0.9');
    expect(map.shardOf(0)?.master).toBe('10.0.0.1:7000');
    expect(map.shardOf(5461)?.replicas).toEqual([]);
    expect(map.shardOf(16383)?.master).toBe('10.0.0.9:7002');
    expect(map.uncovered).toBe(0);
  });

  it('after a MOVED lists the slot under its new master only', () => {
    const map = parseClusterSlots(reply, '10.0.0.9').moveSlot(100, {
      host: '10.0.0.2',
      port: 7001,
    });
    expect(map.shardOf(100)?.master).toBe('10.0.0.2:7001');
    expect(map.shards[0]?.ranges).toEqual([
      [0, 99],
      [101, 5460],
    ]);
    expect(map.shards[1]?.ranges).toEqual([
      [100, 100],
      [5461, 10922],
    ]);
    // To a node the map did not know: a shard of its own.
    const moved = map.moveSlot(200, { host: '10.0.0.7', port: 7007 });
    expect(moved.shardOf(200)?.master).toBe('10.0.0.7:7007');
    expect(moved.shards.at(-1)?.ranges).toEqual([[200, 200]]);
  });

  it('refuses replies of the wrong shape with a TypeError', () => {
    expect(() => parseClusterSlots('nope', 'h')).toThrow(TypeError);
    expect(() => parseClusterSlots([[5, 1, ['h', 1]]], 'h')).toThrow(/bad slot range/);
    expect(() => parseClusterSlots([[0, 1, ['h']]], 'h')).toThrow(TypeError);
  });
});
