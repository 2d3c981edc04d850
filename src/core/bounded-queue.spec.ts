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

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError);
  });
});
