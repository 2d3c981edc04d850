/**
 * A token bucket: holds at most `capacity` tokens, refilled at
 * `ratePerSecond`. `take` needs the tokens now; `overdraw` takes any count
 * while the bucket is not in debt (so a large batch is never refused for
 * good), and the next caller waits until the debt is paid.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes `count` tokens: `0` if it could, else the ms until it could. */
  take(count: number, now: number): number {
    this.refill(now);
    if (this.tokens >= count) {
      this.tokens -= count;
      return 0;
    }
    return this.msFor(count - this.tokens);
  }

  /** Takes `count` tokens unless in debt: `0` if taken, else the ms until out of debt. */
  overdraw(count: number, now: number): number {
    this.refill(now);
    if (this.tokens < 0) return this.msFor(-this.tokens);
    this.tokens -= count;
    return 0;
  }

  /** Takes `count` tokens whatever the balance: the ms until out of debt after it. */
  spend(count: number, now: number): number {
    this.refill(now);
    this.tokens -= count;
    return this.tokens < 0 ? this.msFor(-this.tokens) : 0;
  }

  /** The ms until the bucket is out of debt (0 when it is not). */
  debtMs(now: number): number {
    this.refill(now);
    return this.tokens < 0 ? this.msFor(-this.tokens) : 0;
  }

  /** Whether it is full: forgetting it would change nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(
      this.capacity,
      this.tokens + (elapsed * this.ratePerSecond) / 1000,
    );
  }

  private msFor(tokens: number): number {
    return Math.max(1, Math.ceil((tokens * 1000) / this.ratePerSecond));
  }
}

/**
 * One {@link TokenBucket} per key (an address, a principal), in a table of
 * at most `maxKeys` entries: a bucket that has refilled is forgotten (it
 * would behave like a new one), a few at each new key, and when the table
 * is full of busy keys the least recently used is evicted (and counted:
 * that key starts again with a full bucket). Memory stays bounded whatever
 * the number of addresses asking.
 */
export class BucketTable {
  private readonly buckets = new Map<string, TokenBucket>();
  private evictedCount = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Busy keys evicted to make room since start. */
  get evicted(): number {
    return this.evictedCount;
  }

  take(key: string, count = 1): number {
    const now = this.now();
    return this.bucket(key, now).take(count, now);
  }

  overdraw(key: string, count: number): number {
    const now = this.now();
    return this.bucket(key, now).overdraw(count, now);
  }

  private bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Most recently used last: the front is the eviction end.
      this.buckets.delete(key);
      this.buckets.set(key, bucket);
      return bucket;
    }
    this.forgetRefilled(now, 2);
    if (this.buckets.size >= this.maxKeys) {
      this.forgetRefilled(now, Infinity);
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
        this.evictedCount++;
      }
    }
    bucket = new TokenBucket(this.ratePerSecond, this.capacity, now);
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets up to `most` full buckets from the least recently used end. */
  private forgetRefilled(now: number, most: number): void {
    let forgotten = 0;
    for (const [key, bucket] of this.buckets) {
      if (forgotten >= most || !bucket.isFull(now)) return;
      this.buckets.delete(key);
      forgotten++;
    }
  }
}
