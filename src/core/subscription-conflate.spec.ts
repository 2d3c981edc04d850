import { LivebusCore } from './livebus-core.js';
import { resolveCoreOptions } from './core-options.js';
import { Subscription, type SubscriptionOwner } from './subscription.js';
import type { Envelope } from './envelope.js';
import type { Gap } from '../protocol/messages.js';

type Ev = { type: string; n: number };

describe("overflow policy 'conflate'", () => {
  it('is accepted as the bus default and per subscription', () => {
    expect(resolveCoreOptions({ overflow: 'conflate' }).overflow).toBe(
      'conflate',
    );
    const bus = new LivebusCore({ queueCapacity: 2 });
    const sub = bus.subscribe({ overflow: 'conflate' });
    expect(sub.overflow).toBe('conflate');
    for (let n = 1; n <= 5; n++) bus.publish({ type: 'status', n });
    expect(sub.take().map((m) => m.seq)).toEqual([5]);
    sub.close();
  });

  it('tells in the gap how many events of each type were conflated, and the seq range', () => {
    const bus = new LivebusCore({ queueCapacity: 4, overflow: 'conflate' });
    const sub = bus.subscribe();
    const publish = (...types: string[]) =>
      types.forEach((type, i) => bus.publish({ type, n: i }));
    publish('status', 'status', 'transition', 'status'); // full
    publish('status', 'status', 'progress'); // conflates: status 1, 2, 4, 5
    const gap = sub.takeGap();
    expect(gap).toEqual({
      missed: 4,
      fromSeq: 1,
      toSeq: 5,
      conflated: { status: 4 },
    });
    // Types are publishers' strings: the counts object has no prototype.
    expect(Object.getPrototypeOf(gap?.conflated)).toBeNull();
    expect(sub.take().map((m) => `${m.type}${m.seq}`)).toEqual([
      'transition3',
      'status6',
      'progress7',
    ]);
    expect(sub.takeGap()).toBeNull();
    expect(sub.dropped).toBe(4);
    expect(bus.stats().dropped).toBe(4);
    sub.close();
  });

  it('counts a lost event (the queue held capacity distinct types) in missed only', () => {
    const bus = new LivebusCore({ queueCapacity: 2, overflow: 'conflate' });
    const sub = bus.subscribe();
    for (const type of ['a', 'b', 'a', 'c']) bus.publish({ type });
    // a1 conflated by a3 at the overflow; then c4 meets [b2, a3]: b2 lost.
    expect(sub.takeGap()).toEqual({
      missed: 2,
      fromSeq: 1,
      toSeq: 2,
      conflated: { a: 1 },
    });
    expect(sub.take().map((m) => m.seq)).toEqual([3, 4]);
    sub.close();
  });

  it('keys its per-type counts in a null-prototype object (types named like Object.prototype members never reach it)', () => {
    const bus = new LivebusCore({ queueCapacity: 1, overflow: 'conflate' });
    const sub = bus.subscribe();
    for (const type of ['__proto__', 'constructor']) {
      expect(() => bus.publish({ type })).toThrow(/event\.type/);
    }
    for (const type of ['a', 'a', 'b']) bus.publish({ type });
    const gap = sub.takeGap()!;
    expect(Object.getPrototypeOf(gap.conflated)).toBeNull();
    expect(JSON.parse(JSON.stringify(gap))).toEqual({
      missed: 2,
      fromSeq: 1,
      toSeq: 2,
      conflated: { a: 1 },
    });
    sub.close();
  });

  it('names at most capacity types in a gap: past that, the counts fall short of missed', () => {
    const bus = new LivebusCore({ queueCapacity: 2, overflow: 'conflate' });
    const sub = bus.subscribe();
    // A consumer that takes without reading the gap: it grows, bounded.
    for (const type of ['a', 'b', 'c']) {
      for (let i = 0; i < 3; i++) bus.publish({ type });
      sub.take();
    }
    const gap = sub.takeGap()!;
    expect(gap.missed).toBe(6);
    expect(gap.conflated).toEqual({ a: 2, b: 2 });
    sub.close();
  });

  it('tells the reader once when the queue goes from empty to non-empty', () => {
    const bus = new LivebusCore({ queueCapacity: 2, overflow: 'conflate' });
    const sub = bus.subscribe();
    let readable = 0;
    sub.onReadable(() => readable++);
    for (let i = 0; i < 5; i++) bus.publish({ type: 'a' });
    expect(readable).toBe(1);
    sub.take();
    bus.publish({ type: 'a' });
    expect(readable).toBe(2);
    sub.close();
  });

  it("leaves the other policies' gap as it was: no conflated field", () => {
    const bus = new LivebusCore({ queueCapacity: 2 });
    const sub = bus.subscribe();
    for (let i = 0; i < 4; i++) bus.publish({ type: 'a' });
    expect(Object.keys(sub.takeGap()!)).toEqual(['missed', 'fromSeq', 'toSeq']);
    sub.close();
  });
});

// A seeded generator: every run checks the same cases; a failure names its seed.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("'conflate', for any publishes and reads (seeded random cases), a reader that takes the gap then the events as the gateway does", () => {
  it('ends with the latest event of every type whenever its gaps say only conflation happened, and the counts add up', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const random = mulberry32(seed);
      const capacity = 1 + Math.floor(random() * 8);
      const types = 1 + Math.floor(random() * 12);
      const bus = new LivebusCore({
        queueCapacity: capacity,
        overflow: 'conflate',
      });
      const sub = bus.subscribe();
      const truth = new Map<string, number>();
      const state = new Map<string, number>();
      let delivered = 0;
      let missed = 0;
      let lastSeq = 0;
      let lossSignalled = false;
      let conflatedSum = 0;
      const read = (): void => {
        const gap: Gap | null = sub.takeGap();
        if (gap) {
          // The range lies after everything delivered so far.
          expect({ seed, from: gap.fromSeq > lastSeq }).toEqual({
            seed,
            from: true,
          });
          const counts = Object.values(gap.conflated!);
          const sum = counts.reduce((a, b) => a + b, 0);
          expect(sum).toBeLessThanOrEqual(gap.missed);
          if (sum < gap.missed) lossSignalled = true;
          conflatedSum += sum;
          missed += gap.missed;
        }
        for (const m of sub.take()) {
          expect(m.seq).toBeGreaterThan(lastSeq);
          lastSeq = m.seq;
          state.set(m.type, m.seq);
          delivered++;
        }
      };
      const n = 1 + Math.floor(random() * 200);
      for (let i = 0; i < n; i++) {
        const type = `t${Math.floor(random() * types)}`;
        const { seq } = bus.publish({ type });
        truth.set(type, seq);
        if (random() < 0.1) read();
      }
      read();
      expect({ seed, accounted: delivered + missed }).toEqual({
        seed,
        accounted: n,
      });
      expect(missed).toBe(sub.dropped);
      if (!lossSignalled) {
        // No round trip needed: the reader has the server's latest state.
        expect({ seed, state: [...state].sort() }).toEqual({
          seed,
          state: [...truth].sort(),
        });
        expect(conflatedSum).toBe(missed);
      }
      // Never more types than the queue holds, never a loss.
      if (types <= capacity)
        expect({ seed, lossSignalled }).toEqual({ seed, lossSignalled: false });
      sub.close();
    }
  });
});

// Counts every read of a queued event's `type` and `seq`: any step that
// walks the queue per offer reads them, so an O(n) offer shows as n reads.
function countingEnvelope(
  type: string,
  seq: number,
  counter: { reads: number },
) {
  return {
    get type() {
      counter.reads++;
      return type;
    },
    get seq() {
      counter.reads++;
      return seq;
    },
  } as unknown as Envelope<Ev>;
}

describe("'conflate' costs O(1) per offer (reads of queued events counted, no clock)", () => {
  const owner: SubscriptionOwner = {
    onDrop: () => {},
    onClose: () => {},
    onListenerError: () => {},
  };
  const CAPACITY = 1000;
  const OFFERS = 100_000;

  // Each pattern returns the type of offer i and whether to read after it.
  const patterns: [string, (i: number) => [string, number]][] = [
    // All distinct: every offer past the first filling loses the oldest.
    ['a new type every time', (i) => [`new${i}`, 0]],
    // Capacity - 1 types that never change ahead of one hot type.
    [
      'one hot type behind capacity - 1 quiet ones',
      (i) => [i < CAPACITY - 1 ? `quiet${i}` : 'hot', 0],
    ],
    // The hot type first, then the quiet ones: it is at the front.
    [
      'one hot type in front of the quiet ones',
      (i) => [i === 0 || i >= CAPACITY ? 'hot' : `quiet${i}`, 0],
    ],
    // Fills, overflows, is drained, again and again.
    [
      'refilled after every drain',
      (i) => [`t${i % 7}`, (i + 1) % (CAPACITY + 5) === 0 ? Infinity : 0],
    ],
    // A reader that takes a few now and then while conflating.
    [
      'read a little at a time',
      (i) => [`t${i % (CAPACITY + 3)}`, i % 10 === 0 ? 3 : 0],
    ],
  ];

  it.each(patterns)('%s', (_name, pattern) => {
    const counter = { reads: 0 };
    const sub = new Subscription<Ev>(owner, CAPACITY, 'conflate', null);
    for (let i = 0; i < OFFERS; i++) {
      const [type, read] = pattern(i);
      sub.offer(countingEnvelope(type, i + 1, counter));
      if (read > 0) {
        sub.takeGap();
        sub.take(read);
      }
    }
    sub.take();
    // A handful per offer and per event taken; an O(capacity) step per offer
    // would be ~100,000,000.
    expect(counter.reads).toBeLessThan(10 * OFFERS);
    expect(sub.size).toBe(0);
  });
});
