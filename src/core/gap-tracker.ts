import type { Gap } from '../protocol/messages.js';

/**
 * What one subscription dropped since its last gap notice: how many events,
 * the range of their seqs and, for the `'conflate'` policy, how many of them
 * were conflated per type. O(1) per drop; at most `maxTypes` types.
 */
export class GapTracker {
  private missed = 0;
  private fromSeq = 0;
  private toSeq = 0;
  // Per type, dropped events a later queued event of that type replaced.
  private conflated: Map<string, number> | null = null;

  /** `withConflated`: the gap always carries `conflated` (the `'conflate'` policy). */
  constructor(
    private readonly withConflated: boolean,
    private readonly maxTypes: number,
  ) {}

  /** Events `fromSeq..toSeq` (`missed` of them) will not be delivered. */
  note(missed: number, fromSeq: number, toSeq: number): void {
    if (this.missed === 0) {
      this.fromSeq = fromSeq;
      this.toSeq = toSeq;
    } else {
      // A conflating queue drops from anywhere in it: keep the whole range.
      this.fromSeq = Math.min(this.fromSeq, fromSeq);
      this.toSeq = Math.max(this.toSeq, toSeq);
    }
    this.missed += missed;
  }

  /**
   * One dropped event (already counted by {@link note}) was of `type` and a
   * later event of `type` is queued in its place. Past `maxTypes` types it
   * counts in `missed` only, so the counts fall short and the consumer
   * re-hydrates: memory stays bounded whatever the types.
   */
  noteConflated(type: string): void {
    const conflated = (this.conflated ??= new Map());
    const count = conflated.get(type);
    if (count !== undefined) conflated.set(type, count + 1);
    else if (conflated.size < this.maxTypes) conflated.set(type, 1);
  }

  /** Whether something was dropped since the last {@link take}. */
  get pending(): boolean {
    return this.missed > 0;
  }

  /** Returns and clears the gap, or `null` when nothing was dropped. */
  take(): Gap | null {
    if (this.missed === 0) return null;
    const { missed, fromSeq, toSeq, conflated } = this;
    this.clear();
    if (!this.withConflated) return { missed, fromSeq, toSeq };
    // Types are the publishers' strings: never keys of Object.prototype.
    const counts = Object.create(null) as Record<string, number>;
    for (const [type, count] of conflated ?? []) counts[type] = count;
    return { missed, fromSeq, toSeq, conflated: counts };
  }

  clear(): void {
    this.missed = 0;
    this.conflated = null;
  }
}
