import { Envelope } from './envelope.js';

/** Options of {@link History}. */
export interface HistoryOptions {
  /** Most events kept; 0 keeps none. */
  maxEvents: number;
  /** Oldest event kept, in ms. */
  maxAgeMs: number;
  /** Most event JSON kept, in UTF-8 bytes. */
  maxBytes: number;
  now: () => number;
}

/**
 * Where the kept events' JSON lives: large buffers filled one after the
 * other and never written twice, so the history is a few objects the GC
 * never has to trace instead of one string per event that lives long enough
 * to be promoted and then dies in the old generation.
 */
interface Segment {
  readonly bytes: Buffer;
  used: number;
  /** Kept events whose JSON is in it. */
  live: number;
}

const SEGMENT_BYTES = 1 << 20;
/** Emptied segments kept for reuse: a steady stream allocates none. */
const SPARE_SEGMENTS = 2;
const FIRST_SLOTS = 1024;

/**
 * The most recent events, bounded by count, age and size, in seq order with
 * no holes (every accepted event is appended, whatever its type), so the
 * events after a given seq are one slice of it. An event's JSON is copied
 * into a segment as UTF-8 (a replay decodes it again: rare, and only what
 * that client missed); its seq, time and place are in typed arrays.
 */
export class History {
  private capacity = 0;
  private seqs = new Float64Array(0);
  private acceptedAts = new Float64Array(0);
  private starts = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private types: string[] = [];
  private segments: (Segment | undefined)[] = [];
  private head = 0;
  private count = 0;
  private bytes = 0;
  private current: Segment | null = null;
  private readonly spares: Segment[] = [];

  constructor(private readonly options: HistoryOptions) {}

  /** How many events are kept right now. */
  get size(): number {
    this.trim();
    return this.count;
  }

  /** The JSON kept right now, in UTF-8 bytes. */
  get sizeBytes(): number {
    this.trim();
    return this.bytes;
  }

  append(message: Envelope): void {
    const { maxEvents } = this.options;
    if (maxEvents <= 0) return;
    if (this.count === maxEvents) this.evictOldest();
    else if (this.count === this.capacity) this.grow();
    const { json } = message;
    const slot = (this.head + this.count) % this.capacity;
    const segment = this.segmentFor(json);
    const length = segment.bytes.write(json, segment.used, 'utf8');
    this.seqs[slot] = message.seq;
    this.acceptedAts[slot] = message.acceptedAt;
    this.starts[slot] = segment.used;
    this.lengths[slot] = length;
    this.types[slot] = message.type;
    this.segments[slot] = segment;
    segment.used += length;
    segment.live++;
    this.bytes += length;
    this.count++;
    this.trim();
  }

  /**
   * The kept events with `seq > afterSeq`, oldest first, or `null` when the
   * history no longer reaches back to `afterSeq + 1`. The caller handles the
   * up-to-date case (`afterSeq` is the newest seq) before asking.
   */
  since(afterSeq: number): Envelope[] | null {
    this.trim();
    if (this.count === 0 || this.seqs[this.head] > afterSeq + 1) return null;
    const out: Envelope[] = [];
    for (let i = afterSeq + 1 - this.seqs[this.head]; i < this.count; i++) {
      const slot = (this.head + i) % this.capacity;
      const start = this.starts[slot];
      const json = this.segments[slot]!.bytes.toString(
        'utf8',
        start,
        start + this.lengths[slot],
      );
      out.push(
        new Envelope(
          this.seqs[slot],
          this.types[slot],
          json,
          this.acceptedAts[slot],
        ),
      );
    }
    return out;
  }

  clear(): void {
    while (this.count > 0) this.evictOldest();
    this.head = 0;
  }

  /** The segment `json` goes into: the current one while it has room. */
  private segmentFor(json: string): Segment {
    const room = (s: Segment | null): s is Segment =>
      s !== null &&
      // UTF-8 never takes more than 3 bytes per UTF-16 unit.
      (s.bytes.length - s.used >= json.length * 3 ||
        s.bytes.length - s.used >= Buffer.byteLength(json));
    if (room(this.current)) return this.current;
    const needed = Buffer.byteLength(json);
    this.release(this.current);
    const spare = needed <= SEGMENT_BYTES ? this.spares.pop() : undefined;
    if (spare) spare.used = 0;
    this.current = spare ?? {
      bytes: Buffer.allocUnsafeSlow(Math.max(SEGMENT_BYTES, needed)),
      used: 0,
      live: 0,
    };
    return this.current;
  }

  /** Lets `segment` go once no kept event is in it and it is not being filled. */
  private release(segment: Segment | null): void {
    if (
      segment !== null &&
      segment.live === 0 &&
      segment !== this.current &&
      segment.bytes.length === SEGMENT_BYTES &&
      this.spares.length < SPARE_SEGMENTS &&
      !this.spares.includes(segment)
    ) {
      this.spares.push(segment);
    }
  }

  private evictOldest(): void {
    const slot = this.head;
    const segment = this.segments[slot]!;
    segment.live--;
    this.bytes -= this.lengths[slot];
    this.segments[slot] = undefined;
    this.types[slot] = '';
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    if (this.count === 0) {
      // Empty: start filling from the beginning again.
      this.current = null;
      this.spares.length = 0;
      return;
    }
    this.release(segment);
  }

  /** Doubles the slots (up to `maxEvents`), keeping the order from slot 0. */
  private grow(): void {
    const capacity = Math.min(
      this.options.maxEvents,
      Math.max(FIRST_SLOTS, this.capacity * 2),
    );
    const order = (i: number) => (this.head + i) % this.capacity;
    const seqs = new Float64Array(capacity);
    const acceptedAts = new Float64Array(capacity);
    const starts = new Uint32Array(capacity);
    const lengths = new Uint32Array(capacity);
    const types = new Array<string>(capacity).fill('');
    const segments = new Array<Segment | undefined>(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = order(i);
      seqs[i] = this.seqs[from];
      acceptedAts[i] = this.acceptedAts[from];
      starts[i] = this.starts[from];
      lengths[i] = this.lengths[from];
      types[i] = this.types[from];
      segments[i] = this.segments[from];
    }
    this.capacity = capacity;
    this.seqs = seqs;
    this.acceptedAts = acceptedAts;
    this.starts = starts;
    this.lengths = lengths;
    this.types = types;
    this.segments = segments;
    this.head = 0;
  }

  private trim(): void {
    const cutoff = this.options.now() - this.options.maxAgeMs;
    while (
      this.count > 0 &&
      (this.acceptedAts[this.head] < cutoff ||
        this.bytes > this.options.maxBytes)
    ) {
      this.evictOldest();
    }
  }
}
