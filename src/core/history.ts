import { BoundedQueue } from './bounded-queue.js';
import { Envelope } from './envelope.js';

/** Options of {@link History}. */
export interface HistoryOptions {
  /** Most events kept; 0 keeps none. */
  maxEvents: number;
  /** Oldest event kept, in ms. */
  maxAgeMs: number;
  /** Most JSON text kept, in UTF-16 code units (about bytes for ASCII). */
  maxChars: number;
  now: () => number;
}

// Only what a replay needs: not the envelope, whose cached wire frames
// would triple what the history holds.
interface Entry {
  readonly seq: number;
  readonly type: string;
  readonly json: string;
  readonly acceptedAt: number;
}

/**
 * The most recent events, bounded by count, age and size, in seq order with
 * no holes (every accepted event is appended, whatever its type), so the
 * events after a given seq are one slice of it.
 */
export class History {
  private readonly ring: BoundedQueue<Entry> | null;
  private chars = 0;

  constructor(private readonly options: HistoryOptions) {
    this.ring =
      options.maxEvents > 0 ? new BoundedQueue(options.maxEvents) : null;
  }

  /** How many events are kept right now. */
  get size(): number {
    this.trim();
    return this.ring?.length ?? 0;
  }

  /** The JSON text kept right now, in UTF-16 code units. */
  get sizeChars(): number {
    this.trim();
    return this.chars;
  }

  append(message: Envelope): void {
    if (!this.ring) return;
    const { seq, type, json, acceptedAt } = message;
    const evicted = this.ring.push({ seq, type, json, acceptedAt });
    this.chars += json.length - (evicted?.json.length ?? 0);
    this.trim();
  }

  /**
   * The kept events with `seq > afterSeq`, oldest first, or `null` when the
   * history no longer reaches back to `afterSeq + 1`. The caller handles the
   * up-to-date case (`afterSeq` is the newest seq) before asking.
   */
  since(afterSeq: number): Envelope[] | null {
    this.trim();
    const oldest = this.ring?.peek();
    if (!this.ring || !oldest || oldest.seq > afterSeq + 1) return null;
    const out: Envelope[] = [];
    for (let i = afterSeq + 1 - oldest.seq; i < this.ring.length; i++) {
      const { seq, type, json, acceptedAt } = this.ring.at(i)!;
      out.push(new Envelope(seq, type, json, acceptedAt));
    }
    return out;
  }

  clear(): void {
    this.ring?.clear();
    this.chars = 0;
  }

  private trim(): void {
    if (!this.ring) return;
    const cutoff = this.options.now() - this.options.maxAgeMs;
    for (
      let oldest = this.ring.peek();
      oldest &&
      (oldest.acceptedAt < cutoff || this.chars > this.options.maxChars);
      oldest = this.ring.peek()
    ) {
      this.chars -= oldest.json.length;
      this.ring.shift();
    }
  }
}
