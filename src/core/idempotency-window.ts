/**
 * What a transport that numbers events in its own process needs to honour
 * idempotency ids: the value (a receipt) stored under each id, forgotten
 * once older than `maxAgeMs` or past the newest `maxIds` ids. Memory is
 * bounded by `maxIds`, whatever the publish rate.
 *
 * ```ts
 * const hit = window.get(id);
 * if (hit) return { ...hit, duplicate: true };
 * const receipt = number(events);
 * window.remember(id, receipt);
 * ```
 */
export class IdempotencyWindow<T> {
  // Insertion order is age order: an id is remembered once, never renewed.
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxIds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many ids are remembered right now. */
  get size(): number {
    this.prune();
    return this.entries.size;
  }

  /** The value remembered under `id`, or `undefined` if none (or forgotten). */
  get(id: string): T | undefined {
    this.prune();
    return this.entries.get(id)?.value;
  }

  /** Remembers `value` under `id` (a new id: {@link get} said none). */
  remember(id: string, value: T): void {
    this.entries.delete(id);
    this.entries.set(id, { value, at: this.now() });
    this.prune();
  }

  private prune(): void {
    const oldest = this.now() - this.maxAgeMs;
    for (const [id, { at }] of this.entries) {
      if (this.entries.size <= this.maxIds && at >= oldest) return;
      this.entries.delete(id);
    }
  }
}
