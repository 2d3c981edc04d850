/**
 * What a transport that numbers events in its own process needs to honour
 * idempotency ids: the value (a receipt) stored under each id, forgotten
 * once older than `maxAgeMs` or past the newest `maxIds` ids. Memory is
 * bounded by `maxIds`, whatever the publish rate, and every call costs
 * O(1) amortised.
 *
 * ```ts
 * const hit = window.get(id);
 * if (hit) return { ...hit, duplicate: true };
 * const receipt = number(events);
 * window.remember(id, receipt);
 * ```
 */
export class IdempotencyWindow<T> {
  private readonly values = new Map<string, T>();
  // Ids by age, oldest at `head`: a queue in an array (a Map emptied from
  // its front would be walked past its deleted entries at every prune).
  private order: { id: string; at: number }[] = [];
  private head = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxIds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many ids are remembered right now. */
  get size(): number {
    this.prune();
    return this.values.size;
  }

  /** The value remembered under `id`, or `undefined` if none (or forgotten). */
  get(id: string): T | undefined {
    this.prune();
    return this.values.get(id);
  }

  /** Remembers `value` under `id` (a new id: {@link get} said none). */
  remember(id: string, value: T): void {
    if (this.values.has(id)) this.forget(id);
    this.values.set(id, value);
    this.order.push({ id, at: this.now() });
    this.prune();
  }

  private prune(): void {
    const oldest = this.now() - this.maxAgeMs;
    while (this.head < this.order.length) {
      const { id, at } = this.order[this.head];
      if (this.values.size <= this.maxIds && at >= oldest) break;
      this.values.delete(id);
      this.head++;
    }
    // Drop what was dequeued once it is most of the array.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Takes `id` out of the queue too (rare: an id remembered again). */
  private forget(id: string): void {
    this.values.delete(id);
    const at = this.order.findIndex(
      (entry, i) => i >= this.head && entry.id === id,
    );
    if (at >= 0) this.order.splice(at, 1);
  }
}
