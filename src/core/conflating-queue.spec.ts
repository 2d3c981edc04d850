import { ConflatingQueue, type DropKind } from './conflating-queue.js';

interface Ev {
  readonly type: string;
  readonly seq: number;
}

function queue(capacity: number): {
  q: ConflatingQueue<Ev>;
  drops: [number, DropKind][];
  push: (...events: string[]) => void;
} {
  const drops: [number, DropKind][] = [];
  const q = new ConflatingQueue<Ev>(capacity, (ev, kind) =>
    drops.push([ev.seq, kind]),
  );
  let seq = 0;
  const push = (...types: string[]): void => {
    for (const type of types) q.push({ type, seq: ++seq });
  };
  return { q, drops, push };
}

const label = (events: Ev[]): string[] =>
  events.map((ev) => `${ev.type}${ev.seq}`);

describe('ConflatingQueue', () => {
  it('keeps every event while it has room, like a FIFO', () => {
    const { q, drops, push } = queue(4);
    push('a', 'a', 'b', 'a');
    expect(q.isConflating).toBe(false);
    expect(q.isFull).toBe(true);
    expect(label(q.take())).toEqual(['a1', 'a2', 'b3', 'a4']);
    expect(drops).toEqual([]);
  });

  it('once full, keeps the latest queued event of each type in order of their last update', () => {
    const { q, drops, push } = queue(4);
    push('a', 'b', 'a', 'c'); // full
    push('b'); // overflow: a1 conflated by a3, then b2 by b5
    expect(q.isConflating).toBe(true);
    expect(q.length).toBe(3);
    push('a', 'd'); // a3 conflated by a6; d fits
    expect(label(q.take())).toEqual(['c4', 'b5', 'a6', 'd7']);
    expect(drops).toEqual([
      [1, 'conflated'],
      [2, 'conflated'],
      [3, 'conflated'],
    ]);
  });

  it('drops the oldest event as lost only when it holds capacity distinct types', () => {
    const { q, drops, push } = queue(3);
    push('a', 'b', 'c', 'd');
    expect(drops).toEqual([[1, 'lost']]);
    push('b'); // b2 conflated, not the oldest (c3)
    expect(drops).toEqual([
      [1, 'lost'],
      [2, 'conflated'],
    ]);
    expect(label(q.take())).toEqual(['c3', 'd4', 'b5']);
  });

  it('keeps every event again once the consumer has emptied it', () => {
    const { q, drops, push } = queue(2);
    push('a', 'a', 'a'); // conflating: [a3]
    expect(q.length).toBe(1);
    push('b'); // room, but still conflating until emptied
    expect(label(q.take(1))).toEqual(['a3']);
    expect(q.isConflating).toBe(true);
    push('b'); // b4 conflated
    expect(label([q.shift()!])).toEqual(['b5']);
    expect(q.isConflating).toBe(false);
    expect(q.length).toBe(0);
    push('c', 'c');
    expect(label(q.take())).toEqual(['c6', 'c7']);
    expect(drops.map(([seq]) => seq)).toEqual([1, 2, 4]);
  });

  it('clears both forms, and works with a capacity of 1', () => {
    const { q, drops, push } = queue(1);
    push('a', 'a', 'b');
    expect(drops).toEqual([
      [1, 'conflated'],
      [2, 'lost'],
    ]);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    push('c');
    expect(q.isConflating).toBe(false);
    expect(label(q.take())).toEqual(['c4']);
  });

  it('conflates types named like Object.prototype members as any other', () => {
    const { q, push } = queue(2);
    push('__proto__', 'constructor', '__proto__', 'constructor');
    expect(label(q.take())).toEqual(['__proto__3', 'constructor4']);
  });
});

// A reference model written from the specification, not the implementation:
// an array, linear searches.
class ModelQueue {
  items: Ev[] = [];
  conflating = false;
  drops: [number, DropKind][] = [];
  constructor(private readonly capacity: number) {}
  push(ev: Ev): void {
    if (!this.conflating && this.items.length < this.capacity) {
      this.items.push(ev);
      return;
    }
    if (!this.conflating) {
      this.conflating = true;
      const queued = this.items;
      this.items = [];
      for (const old of queued) this.conflate(old);
    }
    this.conflate(ev);
  }
  private conflate(ev: Ev): void {
    const same = this.items.findIndex((old) => old.type === ev.type);
    if (same >= 0) {
      this.drops.push([this.items[same].seq, 'conflated']);
      this.items.splice(same, 1);
    } else if (this.items.length === this.capacity) {
      this.drops.push([this.items[0].seq, 'lost']);
      this.items.shift();
    }
    this.items.push(ev);
  }
  take(max: number): Ev[] {
    const out = this.items.splice(0, max);
    if (this.items.length === 0) this.conflating = false;
    return out;
  }
}

// A small seeded generator: every run checks the same cases, and a failure
// names its seed.
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

describe('ConflatingQueue, for any sequence of offers and reads (seeded random cases)', () => {
  it('behaves as the reference model', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = mulberry32(seed);
      const capacity = 1 + Math.floor(random() * 8);
      const types = 1 + Math.floor(random() * 12);
      const drops: [number, DropKind][] = [];
      const q = new ConflatingQueue<Ev>(capacity, (ev, kind) =>
        drops.push([ev.seq, kind]),
      );
      const model = new ModelQueue(capacity);
      let seq = 0;
      for (let step = 0; step < 300; step++) {
        if (random() < 0.8) {
          const ev = { type: `t${Math.floor(random() * types)}`, seq: ++seq };
          q.push(ev);
          model.push(ev);
        } else {
          const max = 1 + Math.floor(random() * capacity);
          const took = label(q.take(max));
          const expected = label(model.take(max));
          // expect() only on a difference: 150,000 steps.
          if (took.join() !== expected.join()) {
            expect({ seed, step, took }).toEqual({
              seed,
              step,
              took: expected,
            });
          }
        }
        if (q.length > capacity) {
          expect({ seed, step, length: q.length }).toBeUndefined();
        }
      }
      expect({ seed, rest: label(q.take()), drops }).toEqual({
        seed,
        rest: label(model.take(Infinity)),
        drops: model.drops,
      });
    }
  });

  it('offered to a full queue, drains to exactly the latest event of each of the most recently updated types, in last-update order', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = mulberry32(seed);
      const capacity = 1 + Math.floor(random() * 8);
      const types = 1 + Math.floor(random() * 12);
      const n = capacity + 1 + Math.floor(random() * 60);
      const drops: [Ev, DropKind][] = [];
      const q = new ConflatingQueue<Ev>(capacity, (ev, kind) =>
        drops.push([ev, kind]),
      );
      const offered: Ev[] = [];
      for (let seq = 1; seq <= n; seq++) {
        const ev = { type: `t${Math.floor(random() * types)}`, seq };
        offered.push(ev);
        q.push(ev);
      }
      // The latest event of each type, in order of last update.
      const latest = new Map<string, Ev>();
      for (const ev of offered) {
        latest.delete(ev.type);
        latest.set(ev.type, ev);
      }
      const expected = [...latest.values()].slice(-capacity);
      const drained = q.take();
      expect({ seed, drained: label(drained) }).toEqual({
        seed,
        drained: label(expected),
      });
      // Every offered event was delivered or dropped, exactly once.
      expect(drained.length + drops.length).toBe(n);
      const lost = drops.filter(([, kind]) => kind === 'lost');
      // Nothing is lost unless more types came than the queue holds, and a
      // type whose latest event was not delivered lost at least that one.
      if (latest.size <= capacity) expect(lost).toEqual([]);
      for (const [ev] of lost) expect(drained).not.toContain(ev);
      expect(lost.length).toBeGreaterThanOrEqual(latest.size - drained.length);
      // A conflated event always has a later event of its type delivered or
      // itself dropped later.
      for (const [ev, kind] of drops) {
        if (kind !== 'conflated') continue;
        expect(
          offered.some((later) => later.type === ev.type && later.seq > ev.seq),
        ).toBe(true);
      }
    }
  });
});
