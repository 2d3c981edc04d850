import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('is FIFO and evicts the oldest item when full', () => {
    const q = new BoundedQueue<number>(3);
    expect([1, 2, 3].map((n) => q.push(n))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(q.push(4)).toBe(1);
    expect(q.length).toBe(3);
    expect(q.shift()).toBe(2);
    q.push(5);
    expect(q.take()).toEqual([3, 4, 5]);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('takes at most max items', () => {
    const q = new BoundedQueue<number>(4);
    [1, 2, 3].forEach((n) => q.push(n));
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.take(5)).toEqual([3]);
  });

  it('keeps FIFO order while its slots grow, wrapped or not', () => {
    const q = new BoundedQueue<number>(20);
    for (let n = 1; n <= 6; n++) q.push(n);
    expect(q.take(5)).toEqual([1, 2, 3, 4, 5]);
    // The ring has wrapped (head at 5 of 8) when it grows past 8.
    for (let n = 7; n <= 30; n++) q.push(n);
    expect(q.length).toBe(20);
    expect(q.take()).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    q.clear();
    q.push(1);
    expect(q.take()).toEqual([1]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError);
  });
});
