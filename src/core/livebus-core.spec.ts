import { LivebusCore } from './livebus-core.js';
import {
  BusClosedError,
  EventTooLargeError,
  InvalidEventError,
} from './errors.js';
import { SubscriptionOverflowError } from './subscription.js';

type TestEvent = { type: string; n?: number; state?: string; label?: string };

function publishN(bus: LivebusCore, count: number, from = 1): void {
  for (let n = from; n < from + count; n++) bus.publish({ type: 'tick', n });
}

describe('LivebusCore (the seed bus semantics)', () => {
  it('delivers the published event, equal to what was published', async () => {
    const bus = new LivebusCore();
    await using sub = bus.subscribe();
    const event = { type: 'status', state: 'idle', nested: { list: [1, 'a'] } };
    bus.publish(event);
    const { value } = await sub.next();
    expect(value?.event).toEqual(event);
    expect(value?.seq).toBe(1);
    expect(Object.isFrozen(value?.event)).toBe(true);
  });

  it('gives each of two subscribers the same event', async () => {
    const bus = new LivebusCore();
    const a = bus.subscribe();
    const b = bus.subscribe();
    bus.publish({ type: 'status', state: 'idle' });
    expect((await a.next()).value?.event).toEqual({
      type: 'status',
      state: 'idle',
    });
    expect((await b.next()).value?.event).toEqual({
      type: 'status',
      state: 'idle',
    });
    a.close();
    b.close();
  });

  it('wakes a subscriber already waiting in for-await', async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const received: unknown[] = [];
    const consumer = (async () => {
      for await (const message of sub) {
        received.push(message.event);
        if (received.length === 2) break;
      }
    })();
    await Promise.resolve();
    bus.publish({ type: 'a' });
    bus.publish({ type: 'b' });
    await consumer;
    expect(received).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(sub.closed).toBe(true);
    expect(bus.hasSubscribers).toBe(false);
  });

  it('never mutates the published object, and later mutation by the publisher changes nothing', () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const event = { type: 'prediction', label: 'Build' };
    bus.publish(event);
    event.label = 'Changed';
    expect(sub.take()[0].event).toEqual({ type: 'prediction', label: 'Build' });
    expect(bus.snapshot()).toEqual({
      prediction: { type: 'prediction', label: 'Build' },
    });
    expect(event).toEqual({ type: 'prediction', label: 'Changed' });
    sub.close();
  });

  describe('backpressure (capacity 256, drop-oldest)', () => {
    it('is full after 256 publishes and a 257th keeps the subscriber subscribed', () => {
      const bus = new LivebusCore();
      const sub = bus.subscribe();
      publishN(bus, 256);
      expect(sub.size).toBe(256);
      expect(sub.dropped).toBe(0);
      bus.publish({ type: 'tick', n: 257 });
      expect(sub.closed).toBe(false);
      expect(bus.hasSubscribers).toBe(true);
      expect(sub.size).toBe(256);
      expect(sub.dropped).toBe(1);
      sub.close();
    });

    it('after 300 publishes holds items 45..300, oldest first, and reports the gap', () => {
      const bus = new LivebusCore();
      const sub = bus.subscribe();
      publishN(bus, 300);
      expect(sub.takeGap()).toEqual({ missed: 44, fromSeq: 1, toSeq: 44 });
      expect(sub.takeGap()).toBeNull();
      const items = sub.take();
      expect(items).toHaveLength(256);
      expect((items[0].event as TestEvent).n).toBe(45);
      expect((items[255].event as TestEvent).n).toBe(300);
      expect(items.map((m) => m.seq)).toEqual(
        Array.from({ length: 256 }, (_, i) => 45 + i),
      );
      expect(bus.stats().dropped).toBe(44);
      sub.close();
    });

    it('after 260 publishes and a drain, delivers the next publish', async () => {
      const bus = new LivebusCore();
      const sub = bus.subscribe();
      publishN(bus, 260);
      sub.take();
      bus.publish({ type: 'tick', n: 261 });
      expect(((await sub.next()).value?.event as TestEvent).n).toBe(261);
      sub.close();
    });

    it("'disconnect' policy closes the subscription on overflow and says why", async () => {
      const bus = new LivebusCore({ queueCapacity: 4, overflow: 'disconnect' });
      const sub = bus.subscribe();
      publishN(bus, 5);
      expect(sub.closed).toBe(true);
      expect(sub.closeReason).toBe('overflow');
      expect(bus.hasSubscribers).toBe(false);
      for (let i = 0; i < 4; i++) await sub.next();
      await expect(sub.next()).rejects.toBeInstanceOf(
        SubscriptionOverflowError,
      );
    });

    it('honours a per-subscription capacity', () => {
      const bus = new LivebusCore();
      const sub = bus.subscribe({ capacity: 2 });
      publishN(bus, 3);
      expect(sub.take().map((m) => (m.event as TestEvent).n)).toEqual([2, 3]);
      sub.close();
    });
  });

  it('removes the queue when the subscription is left, also after it overflowed', async () => {
    const bus = new LivebusCore();
    {
      await using sub = bus.subscribe();
      expect(bus.stats().subscribers).toBe(1);
      publishN(bus, 300);
      expect(sub.dropped).toBe(44);
    }
    expect(bus.stats().subscribers).toBe(0);
    expect(bus.hasSubscribers).toBe(false);
  });

  describe('snapshot', () => {
    it('is empty at start', () => {
      expect(new LivebusCore().snapshot()).toEqual({});
    });

    it('keeps the latest event per type', () => {
      const bus = new LivebusCore();
      bus.publish({ type: 'status', state: 'idle' });
      bus.publish({ type: 'prediction', label: 'Build' });
      bus.publish({ type: 'status', state: 'collecting' });
      expect(bus.snapshot()).toEqual({
        status: { type: 'status', state: 'collecting' },
        prediction: { type: 'prediction', label: 'Build' },
      });
      expect(bus.snapshotState().seq).toBe(3);
    });

    it('returns a copy: mutating it changes nothing', () => {
      const bus = new LivebusCore();
      bus.publish({ type: 'status', state: 'idle' });
      const copy = bus.snapshot() as Record<string, TestEvent>;
      copy.status.state = 'hacked';
      delete copy.status;
      expect(bus.snapshot()).toEqual({
        status: { type: 'status', state: 'idle' },
      });
    });

    it('keeps no transient types and at most snapshotMaxTypes types', () => {
      const bus = new LivebusCore({
        transientTypes: ['suggest_label'],
        snapshotMaxTypes: 2,
      });
      bus.publish({ type: 'suggest_label', label: 'x' });
      bus.publish({ type: 'a' });
      bus.publish({ type: 'b' });
      bus.publish({ type: 'a', v: 2 });
      bus.publish({ type: 'c' });
      expect(Object.keys(bus.snapshot()).sort()).toEqual(['a', 'c']);
    });

    it('keeps at most snapshotMaxBytes of JSON, dropping the least recently updated types', () => {
      const bus = new LivebusCore({
        maxEventBytes: 1024,
        snapshotMaxBytes: 8 * 1024,
      });
      for (let i = 0; i < 100; i++) {
        bus.publish({ type: `t${i}`, payload: 'x'.repeat(900) });
      }
      const { snapshotBytes, snapshotTypes } = bus.sizes();
      expect(snapshotBytes).toBeLessThanOrEqual(8 * 1024);
      expect(Buffer.byteLength(bus.snapshotJson())).toBeLessThanOrEqual(
        8 * 1024,
      );
      expect(snapshotTypes).toBe(8);
      expect(Object.keys(bus.snapshot())).toEqual(
        Array.from({ length: 8 }, (_, i) => `t${92 + i}`),
      );
    });

    it('refuses a snapshotMaxBytes that an accepted event could exceed, naming both options', () => {
      expect(
        () => new LivebusCore({ maxEventBytes: 4096, snapshotMaxBytes: 4096 }),
      ).toThrow(/^snapshotMaxBytes must be at least maxEventBytes \+ \d+/);
      expect(() => new LivebusCore({ snapshotMaxBytes: 0 })).toThrow(
        'snapshotMaxBytes must be a positive integer, got 0',
      );
      expect(new LivebusCore().options.snapshotMaxBytes).toBe(8 * 1024 * 1024);
    });
  });

  it('keeps delivering to everyone when a subscriber’s listener throws; counts it and says so', () => {
    const errors: unknown[] = [];
    const bus = new LivebusCore({}, Date.now, (error) => errors.push(error));
    const fragile = bus.subscribe({ capacity: 1, overflow: 'disconnect' });
    fragile.onClose(() => {
      throw new Error('listener bug');
    });
    const other = bus.subscribe();
    bus.publish({ type: 'tick', n: 1 });
    bus.publish({ type: 'tick', n: 2 }); // overflows `fragile`: its listener throws
    expect(other.take().map((m) => m.seq)).toEqual([1, 2]);
    expect(fragile.closeReason).toBe('overflow');
    expect(bus.stats().listenerErrors).toBe(1);
    expect((errors[0] as Error).message).toBe('listener bug');
    other.close();
  });

  it('hasSubscribers follows subscribe and close', () => {
    const bus = new LivebusCore();
    expect(bus.hasSubscribers).toBe(false);
    const sub = bus.subscribe();
    expect(bus.hasSubscribers).toBe(true);
    sub.close();
    expect(bus.hasSubscribers).toBe(false);
  });

  it('filters by type when asked', () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe({ types: ['prediction'] });
    bus.publish({ type: 'status' });
    bus.publish({ type: 'prediction', label: 'Build' });
    expect(sub.take().map((m) => m.type)).toEqual(['prediction']);
    sub.close();
  });

  describe('validation', () => {
    const cases: [string, unknown, string][] = [
      ['a non-object', 'hello', 'event'],
      ['an array', [{ type: 'x' }], 'event'],
      ['null', null, 'event'],
      ['no type', { label: 'x' }, 'event.type'],
      ['an empty type', { type: '' }, 'event.type'],
      ['a numeric type', { type: 7 }, 'event.type'],
      ['a reserved type', { type: 'snapshot' }, 'event.type'],
      ['a Socket.IO reserved type', { type: 'disconnect' }, 'event.type'],
      ['a Date', { type: 'x', at: new Date() }, 'event.at'],
      ['a function', { type: 'x', f: () => 1 }, 'event.f'],
      ['undefined', { type: 'x', u: undefined }, 'event.u'],
      ['NaN', { type: 'x', list: [1, Number.NaN] }, 'event.list[1]'],
      ['a bigint', { type: 'x', deep: { n: 1n } }, 'event.deep.n'],
    ];
    it.each(cases)(
      'refuses %s, naming the field, and changes nothing',
      (_, event, path) => {
        const bus = new LivebusCore();
        const sub = bus.subscribe();
        let error: unknown;
        try {
          bus.publish(event as TestEvent);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InvalidEventError);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as InvalidEventError).path).toBe(path);
        expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
        expect(sub.size).toBe(0);
        expect(bus.lastSeq).toBe(0);
        expect(bus.snapshot()).toEqual({});
        expect(bus.stats().rejected).toBe(1);
        sub.close();
      },
    );

    it('refuses a circular event', () => {
      const event: Record<string, unknown> = { type: 'x' };
      event.self = event;
      expect(() => new LivebusCore().publish(event as TestEvent)).toThrow(
        InvalidEventError,
      );
    });

    it('refuses an event over maxEventBytes with EventTooLargeError', () => {
      const bus = new LivebusCore({ maxEventBytes: 100 });
      bus.publish({ type: 'ok', text: 'x'.repeat(50) });
      expect(() => bus.publish({ type: 'big', text: 'é'.repeat(60) })).toThrow(
        EventTooLargeError,
      );
      expect(bus.lastSeq).toBe(1);
    });

    it('publishAll is all or nothing and names the bad index', () => {
      const bus = new LivebusCore();
      const sub = bus.subscribe();
      expect(() =>
        bus.publishAll([{ type: 'a' }, { type: 'b' }, { nope: 1 }]),
      ).toThrow('events[2].type: must be a non-empty string');
      expect(sub.size).toBe(0);
      const published = bus.publishAll([{ type: 'a' }, { type: 'b' }]);
      expect(published.map((m) => m.seq)).toEqual([1, 2]);
      sub.close();
    });

    it('refuses bad options with a TypeError', () => {
      expect(() => new LivebusCore({ queueCapacity: 0 })).toThrow(TypeError);
      expect(() => new LivebusCore({ overflow: 'evict' as never })).toThrow(
        "overflow must be 'drop-oldest', 'conflate' or 'disconnect', got string \"evict\"",
      );
    });
  });

  it('after close refuses publishes (counted) and ends subscriptions', async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const next = sub.next();
    bus.close();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(sub.closeReason).toBe('bus-closed');
    expect(() => bus.publish({ type: 'late' })).toThrow(BusClosedError);
    expect(bus.stats().refusedClosed).toBe(1);
    expect(() => bus.subscribe()).toThrow(BusClosedError);
  });

  it('numbers events monotonically under one epoch; a new bus is a new epoch', () => {
    const a = new LivebusCore();
    const seqs = [a.publish({ type: 'x' }), a.publish({ type: 'y' })].map(
      (m) => m.seq,
    );
    expect(seqs).toEqual([1, 2]);
    expect(new LivebusCore().epoch).not.toBe(a.epoch);
  });
});

describe('LivebusCore history and resume', () => {
  it('replays exactly what a client missed, in order', () => {
    const bus = new LivebusCore();
    publishN(bus, 10);
    const plan = bus.resume(bus.epoch, 6);
    expect(plan.kind).toBe('replay');
    if (plan.kind !== 'replay') return;
    expect(plan.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
  });

  it('says "nothing missed" to an up-to-date client even when the history is empty or aged out', () => {
    let now = 0;
    const bus = new LivebusCore({ historyMaxAgeMs: 1000 }, () => now);
    publishN(bus, 3);
    now = 60_000; // every kept event is now too old
    expect(bus.resume(bus.epoch, 3)).toEqual({ kind: 'replay', messages: [] });
    expect(bus.resume(bus.epoch, 2)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    expect(
      new LivebusCore({ historyMaxEvents: 0 }).resume(
        new LivebusCore().epoch,
        0,
      ),
    ).toEqual({
      kind: 'reset',
      reason: 'epoch',
    });
  });

  it('resets a client from another epoch, one ahead of the bus, and one older than the kept count', () => {
    const bus = new LivebusCore({ historyMaxEvents: 5 });
    publishN(bus, 20);
    expect(bus.resume('another-epoch', 20)).toEqual({
      kind: 'reset',
      reason: 'epoch',
    });
    expect(bus.resume(bus.epoch, 21)).toEqual({
      kind: 'reset',
      reason: 'ahead',
    });
    expect(bus.resume(bus.epoch, 14)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    const plan = bus.resume(bus.epoch, 15);
    expect(plan.kind === 'replay' && plan.messages.map((m) => m.seq)).toEqual([
      16, 17, 18, 19, 20,
    ]);
  });

  it('keeps events by age: older than historyMaxAgeMs is gone', () => {
    let now = 0;
    const bus = new LivebusCore({ historyMaxAgeMs: 1000 }, () => now);
    publishN(bus, 2); // seq 1, 2 at t=0
    now = 900;
    publishN(bus, 2, 3); // seq 3, 4 at t=900
    now = 1500;
    expect(bus.resume(bus.epoch, 1)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    const plan = bus.resume(bus.epoch, 2);
    expect(plan.kind === 'replay' && plan.messages.map((m) => m.seq)).toEqual([
      3, 4,
    ]);
  });

  it('filters a replay by type', () => {
    const bus = new LivebusCore();
    bus.publish({ type: 'a' });
    bus.publish({ type: 'b' });
    bus.publish({ type: 'a' });
    const plan = bus.resume(bus.epoch, 0, new Set(['a']));
    expect(plan.kind === 'replay' && plan.messages.map((m) => m.seq)).toEqual([
      1, 3,
    ]);
  });
});

describe('LivebusCore.whenSeq', () => {
  it('resolves true at once for a seq already delivered, and when a later one arrives', async () => {
    const bus = new LivebusCore();
    publishN(bus, 2);
    await expect(bus.whenSeq(2, 1000)).resolves.toBe(true);
    const waiting = bus.whenSeq(4, 10_000);
    bus.applySequenced(3, 'tick', '{"type":"tick"}');
    bus.applySequenced(4, 'tick', '{"type":"tick"}');
    await expect(waiting).resolves.toBe(true);
  });

  it('resolves false after the timeout, or when the bus closes', async () => {
    const bus = new LivebusCore();
    await expect(bus.whenSeq(1, 5)).resolves.toBe(false);
    const waiting = bus.whenSeq(1, 10_000);
    bus.close();
    await expect(waiting).resolves.toBe(false);
  });
});

describe('LivebusCore across realms', () => {
  it('accepts a plain object built in another realm (as worker messages are)', async () => {
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext(
      '({ type: "plain", nested: { list: [1] } })',
    ) as TestEvent;
    const bus = new LivebusCore();
    expect(bus.publish(foreign).seq).toBe(1);
    const foreignDate = runInNewContext(
      '({ type: "x", at: new Date() })',
    ) as TestEvent;
    expect(() => bus.publish(foreignDate)).toThrow(
      'event.at: a Date is not a plain JSON object',
    );
  });
});
