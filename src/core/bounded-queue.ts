/**
 * A bounded FIFO ring buffer. `push` on a full queue evicts and returns the
 * oldest item, so memory never grows past `capacity` slots. The slots are
 * allocated as items arrive (doubling, up to `capacity`): one queue per
 * connected client, most of them idle or near empty, costs no array of
 * `capacity` slots each.
 */
export class BoundedQueue<T> {
  private slots: (T | undefined)[] = EMPTY;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    assertQueueCapacity(capacity);
  }

  get length(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count === this.capacity;
  }

  /** Appends `item`; when full, evicts and returns the oldest item. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      if (this.count === this.slots.length) this.grow();
      this.slots[(this.head + this.count) % this.slots.length] = item;
      this.count++;
      return undefined;
    }
    const evicted = this.slots[this.head];
    this.slots[this.head] = item;
    this.head = (this.head + 1) % this.slots.length;
    return evicted;
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** The item `index` places after the oldest (0 is the oldest). */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.slots[(this.head + index) % this.slots.length];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max = Infinity): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  clear(): void {
    this.slots = EMPTY;
    this.head = 0;
    this.count = 0;
  }

  /** Doubles the slots (at least 8, at most `capacity`), oldest first. */
  private grow(): void {
    const size = Math.min(this.capacity, Math.max(8, this.slots.length * 2));
    const grown = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) grown[i] = this.at(i);
    this.slots = grown;
    this.head = 0;
  }
}

// Shared by every queue that has held nothing yet; never written to (a
// queue grows before its first write).
const EMPTY: never[] = [];

/** Throws unless `capacity` is a valid queue capacity (a positive integer). */
export function assertQueueCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(
      `queue capacity must be a positive integer, got ${String(capacity)}`,
    );
  }
}
