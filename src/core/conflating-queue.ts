import { BoundedQueue } from './bounded-queue.js';

/** What a conflating queue holds: events are conflated by their `type`. */
export interface Typed {
  readonly type: string;
}

/**
 * Why a conflating queue let an event go: `'conflated'` when a later event
 * of the same type is queued in its place, `'lost'` when it was the latest
 * of its type (the queue held `capacity` other types).
 */
export type DropKind = 'conflated' | 'lost';

const NONE = -1;

/**
 * The queue of a subscription whose overflow policy is `'conflate'`.
 *
 * While it has room it is a plain FIFO, like drop-oldest: a consumer that
 * keeps up gets every event. The first time it is full it keeps only the
 * latest queued event of each type, and from then on, until the consumer
 * has emptied it, a new event replaces the queued one of its type (which is
 * dropped as `'conflated'`) and goes to the back: the queue holds the latest
 * event of each type, in order of their last update (their `seq` order).
 * Only when it holds `capacity` distinct types and another type comes does
 * it drop its oldest event, which is then `'lost'`.
 *
 * Memory is `capacity` slots (a ring, and once it has overflowed, a linked
 * list over as many slots and a type index). Every operation is O(1)
 * amortised: the switch to conflating walks the at most `capacity` queued
 * events, once per filling from empty.
 */
export class ConflatingQueue<T extends Typed> {
  private readonly ring: BoundedQueue<T>;
  private conflating = false;
  // The conflating form, allocated at the first overflow and then reused:
  // a doubly linked list over `capacity` slots, oldest at `head`, and the
  // slot of each type's one queued event.
  private items: (T | undefined)[] = [];
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private head = NONE;
  private tail = NONE;
  private readonly slotOf = new Map<string, number>();

  /** `onDrop` is told of every event the queue lets go, and why. */
  constructor(
    readonly capacity: number,
    private readonly onDrop: (item: T, kind: DropKind) => void,
  ) {
    this.ring = new BoundedQueue(capacity);
  }

  get length(): number {
    return this.conflating ? this.slotOf.size : this.ring.length;
  }

  get isFull(): boolean {
    return this.length === this.capacity;
  }

  /** Whether the queue holds one event per type (it overflowed and was not emptied since). */
  get isConflating(): boolean {
    return this.conflating;
  }

  /** Appends `item`, making room as described above; never evicts by return. */
  push(item: T): undefined {
    if (!this.conflating) {
      if (!this.ring.isFull) {
        this.ring.push(item);
        return undefined;
      }
      this.startConflating();
    }
    this.conflate(item);
    return undefined;
  }

  shift(): T | undefined {
    if (!this.conflating) return this.ring.shift();
    const slot = this.head;
    const item = this.items[slot] as T;
    this.slotOf.delete(item.type);
    this.unlink(slot);
    // Emptied: the consumer has caught up, keep every event again.
    if (this.head === NONE) this.conflating = false;
    return item;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max = Infinity): T[] {
    if (!this.conflating) return this.ring.take(max);
    const n = Math.min(max, this.slotOf.size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.shift() as T;
    return out;
  }

  clear(): void {
    this.ring.clear();
    if (!this.conflating) return;
    while (this.head !== NONE) this.unlink(this.head);
    this.slotOf.clear();
    this.conflating = false;
  }

  private startConflating(): void {
    if (this.items.length === 0) {
      this.items = new Array<T | undefined>(this.capacity);
      this.next = new Int32Array(this.capacity);
      this.prev = new Int32Array(this.capacity);
      this.freeSlots = new Int32Array(this.capacity);
      for (let i = 0; i < this.capacity; i++) {
        this.freeSlots[i] = this.capacity - 1 - i;
      }
      this.freeCount = this.capacity;
    }
    this.conflating = true;
    // At most `capacity` events into `capacity` slots: only conflation here.
    for (const item of this.ring.take()) this.conflate(item);
  }

  private conflate(item: T): void {
    const type = item.type;
    let dropped: T | undefined;
    let kind: DropKind = 'conflated';
    const queued = this.slotOf.get(type);
    if (queued !== undefined) {
      dropped = this.items[queued];
      this.unlink(queued);
    } else if (this.slotOf.size === this.capacity) {
      dropped = this.items[this.head] as T;
      kind = 'lost';
      this.slotOf.delete(dropped.type);
      this.unlink(this.head);
    }
    this.append(type, item);
    // Last: the queue is consistent whatever the callback does.
    if (dropped !== undefined) this.onDrop(dropped, kind);
  }

  private append(type: string, item: T): void {
    const slot = this.freeSlots[--this.freeCount];
    this.items[slot] = item;
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else this.next[this.tail] = slot;
    this.tail = slot;
    this.slotOf.set(type, slot);
  }

  private unlink(slot: number): void {
    const before = this.prev[slot];
    const after = this.next[slot];
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
    this.items[slot] = undefined;
    this.freeSlots[this.freeCount++] = slot;
  }
}
