import { LivebusCore } from './livebus-core.js';
import type { TypeFilter } from './type-filter.js';

// A permission is any `has`: the core asks it, never iterates it.
const only = (allowed: string[]): TypeFilter => ({
  has: (type) => allowed.includes(type),
});

describe('TypeFilter and Subscription.restrict', () => {
  it('restrict limits delivery beside the subscriber’s own filter, which it leaves as is', () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe({ types: ['a', 'b'] });
    sub.restrict(only(['b', 'c']));
    for (const type of ['a', 'b', 'c']) bus.publish({ type });
    expect(sub.take().map((m) => m.type)).toEqual(['b']);
    expect(sub.types).toEqual(new Set(['a', 'b']));
    sub.restrict(null);
    bus.publish({ type: 'a' });
    expect(sub.take().map((m) => m.type)).toEqual(['a']);
  });

  it('the snapshot and a resume plan take any TypeFilter', () => {
    const bus = new LivebusCore();
    for (const type of ['a', 'b', 'c']) bus.publish({ type });
    expect(JSON.parse(bus.snapshotJson(only(['a', 'c'])))).toEqual({
      a: { type: 'a' },
      c: { type: 'c' },
    });
    const plan = bus.resume(bus.epoch, 0, only(['b']));
    expect(plan.kind === 'replay' && plan.messages.map((m) => m.type)).toEqual([
      'b',
    ]);
  });
});
