import { __internal } from '@x/conn';
import { describe, expect, it } from 'vitest';
import { OfflineQueue } from './offline-queue.js';

const request = () => __internal.newRequest('GET', ['k'], undefined, null);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OfflineQueue', () => {
  it('keeps insertion order and expires each request waitMs after it first began to wait', async () => {
    const expired: unknown[] = [];
    const queue = new OfflineQueue(150, (requests) => expired.push(...requests));
    const first = request();
    const second = request();
    expect(queue.add(first)).toBe(true);
    await sleep(80);
    // Sent on a connection that failed before writing it: it comes back with its first time.
    expect(queue.takeAll()).toEqual([first]);
    expect(queue.add(second)).toBe(true);
    expect(queue.add(first)).toBe(true);
    await sleep(100);
    expect(expired).toEqual([first]);
    await sleep(100);
    expect(expired).toEqual([first, second]);
    expect(queue.size).toBe(0);
  });

  it('refuses a request whose time ran out while it was away, and forgets removed ones', async () => {
    const expired: unknown[] = [];
    const queue = new OfflineQueue(50, (requests) => expired.push(...requests));
    const late = request();
    queue.add(late);
    queue.remove(late);
    await sleep(70);
    expect(expired).toEqual([]);
    expect(queue.add(late)).toBe(false);
  });

  it('never expires with waitMs 0', async () => {
    const expired: unknown[] = [];
    const queue = new OfflineQueue(0, (requests) => expired.push(...requests));
    queue.add(request());
    await sleep(30);
    expect(expired).toEqual([]);
    expect(queue.size).toBe(1);
  });
});
