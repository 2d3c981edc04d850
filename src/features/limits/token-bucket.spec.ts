import { BucketTable, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('takes while it holds tokens, then says how long to wait', () => {
    const bucket = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) expect(bucket.take(1, 0)).toBe(0);
    expect(bucket.take(1, 0)).toBe(100);
    expect(bucket.take(1, 100)).toBe(0);
    expect(bucket.isFull(100)).toBe(false);
    expect(bucket.isFull(10_000)).toBe(true);
  });

  it('overdraws: a large count is taken once, and the next waits out the debt', () => {
    const bucket = new TokenBucket(10, 20, 0);
    expect(bucket.overdraw(50, 0)).toBe(0);
    expect(bucket.overdraw(1, 0)).toBe(3000);
    expect(bucket.debtMs(1000)).toBe(2000);
    expect(bucket.overdraw(1, 3000)).toBe(0);
  });

  it('spends whatever the balance and says the debt', () => {
    const bucket = new TokenBucket(100, 200, 0);
    expect(bucket.spend(150, 0)).toBe(0);
    expect(bucket.spend(150, 0)).toBe(1000);
  });
});

describe('BucketTable', () => {
  it('keeps one bucket per key', () => {
    const table = new BucketTable(1, 2, 100, () => 0);
    expect(table.take('a')).toBe(0);
    expect(table.take('a')).toBe(0);
    expect(table.take('a')).toBe(1000);
    expect(table.take('b')).toBe(0);
  });

  it('stays within maxKeys however many keys ask, forgetting refilled ones first', () => {
    let now = 0;
    const table = new BucketTable(1, 2, 1000, () => now);
    for (let i = 0; i < 100_000; i++) {
      now = i; // 1 ms apart: the older buckets refill over time
      table.take(`10.0.${i >> 8}.${i & 255}`);
      expect(table.size).toBeLessThanOrEqual(1000);
    }
    // Every key took one token; after 2 s a bucket is full again and
    // forgotten, so busy keys were rarely evicted.
    expect(table.size).toBeLessThanOrEqual(1000);
  });

  it('evicts the least recently used busy key when full (counted), which starts again', () => {
    const table = new BucketTable(1, 1, 2, () => 0);
    table.take('a');
    table.take('b');
    expect(table.take('a')).toBe(1000); // a is now the most recent
    table.take('c'); // evicts b
    expect(table.evicted).toBe(1);
    expect(table.size).toBe(2);
    expect(table.take('a')).toBe(1000);
    expect(table.take('b')).toBe(0); // forgotten: a fresh bucket
  });
});
