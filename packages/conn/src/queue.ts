/**
 * Queue is a FIFO with O(1) push and shift. An array with a moving head: shift() only advances
 * the head, and the consumed prefix is cut off once it is both large and most of the array.
 *
 *   items: [ consumed ... | head -> live entries ... ]
 *
 * @internal Shared with @x/pool and @x/pubsub through `__internal`; not public API.
 */
export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Entries waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an entry at the end. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest entry, left in place. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Removes and returns the oldest entry. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns every entry, oldest first. */
  drain(): T[] {
    const live = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return live;
  }

  /** Removes and returns the entries that match, keeping the order of the rest. */
  extract(matches: (item: T) => boolean): T[] {
    const taken: T[] = [];
    const kept: T[] = [];
    for (const item of this.drain()) (matches(item) ? taken : kept).push(item);
    this.items = kept;
    return taken;
  }
}
