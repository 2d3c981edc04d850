import { LivebusCore } from '../core/livebus-core.js';
import type { Subscription } from '../core/subscription.js';
import type { AnyEventMap } from '../protocol/event-map.js';
import { ClientPump, type FrameEncoder } from './client-pump.js';
import { WriteScheduler, type ScheduledWriter } from './write-scheduler.js';

// Frames as readable strings: `e <seq>` or `gap <from>-<to> <missed>`.
const encoder: FrameEncoder<string> = {
  event: (message) => `e ${message.seq}`,
  gap: (gap) => `gap ${gap.fromSeq}-${gap.toSeq} ${gap.missed}`,
  snapshot: (_json, meta) => `snapshot ${meta.seq}`,
  resumed: (meta) => `resumed ${meta.fromSeq}`,
};

/** A scheduler with no time to spare: it yields to the event loop every few writers. */
class CountingScheduler extends WriteScheduler {
  readonly adds = new Map<ScheduledWriter, number>();
  constructor() {
    super(0);
  }
  override add(writer: ScheduledWriter, urgent = false): void {
    this.adds.set(writer, (this.adds.get(writer) ?? 0) + 1);
    super.add(writer, urgent);
  }
}

type Tick = AnyEventMap[string];

interface Client {
  subscription: Subscription<Tick>;
  pump: ClientPump<string, Tick>;
  frames: string[];
  writes: number;
}

/**
 * `n` clients whose sinks drain on a later turn of the event loop (as a
 * socket's write callback does), except `stalled` ones, which never drain.
 */
function clients(
  bus: LivebusCore,
  scheduler: WriteScheduler,
  n: number,
  capacity: number,
  stalled: ReadonlySet<number> = new Set(),
): Client[] {
  return Array.from({ length: n }, (_, i) => {
    const subscription = bus.subscribe({ capacity });
    const client = { subscription, frames: [], writes: 0 } as unknown as Client;
    client.pump = new ClientPump<string, Tick>(
      subscription,
      encoder,
      {
        write(frames, onFlushed) {
          client.writes++;
          client.frames.push(...frames);
          if (!stalled.has(i)) setImmediate(onFlushed);
        },
      },
      capacity,
      [],
      [],
      undefined,
      scheduler,
    );
    return client;
  });
}

const turn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await turn();
  expect(done()).toBe(true);
}

/**
 * Checks one client's frames: events in increasing seq order, and every seq
 * from 1 to `last` either delivered or counted by exactly one gap notice
 * placed where it was missed.
 */
function expectExact(frames: readonly string[], last: number): void {
  let next = 1;
  for (const frame of frames) {
    const [kind, range, missed] = frame.split(' ');
    if (kind === 'e') {
      expect(Number(range)).toBe(next);
      next++;
      continue;
    }
    const [from, to] = range.split('-').map(Number);
    expect(from).toBe(next);
    expect(Number(missed)).toBe(to - from + 1);
    next = to + 1;
  }
  expect(next).toBe(last + 1);
}

describe('WriteScheduler with sliced fan-out', () => {
  it('gives every client every event in order, or an exact gap notice, when a burst is written over many turns', async () => {
    const bus = new LivebusCore();
    const scheduler = new CountingScheduler();
    const all = clients(bus, scheduler, 300, 8);
    // 50 events in one turn: queues of 8 overflow, and the writes to 300
    // clients take several slices.
    for (let i = 0; i < 50; i++) bus.publish({ type: 'tick', i });
    await Promise.resolve();
    expect(scheduler.waiting).toBeGreaterThan(0);
    // More events while the first slices are still being written.
    await turn();
    for (let i = 0; i < 30; i++) bus.publish({ type: 'tick', i });
    await until(() => all.every((c) => c.frames.at(-1) === `e ${bus.lastSeq}`));
    for (const client of all) expectExact(client.frames, bus.lastSeq);
    for (const client of all) client.subscription.close();
  });

  it('writes nothing more to a client that closes while it waits for its turn, and the others still get everything', async () => {
    const bus = new LivebusCore();
    const scheduler = new CountingScheduler();
    const all = clients(bus, scheduler, 200, 16);
    bus.publish({ type: 'tick' });
    await Promise.resolve(); // the first slice only
    const waiting = all.filter((c) => c.writes === 0);
    expect(waiting.length).toBeGreaterThan(0);
    for (const client of waiting) client.subscription.close();
    for (let i = 0; i < 5; i++) bus.publish({ type: 'tick' });
    const open = all.filter((c) => !c.subscription.closed);
    await until(() => open.every((c) => c.frames.at(-1) === 'e 6'));
    for (const client of waiting) expect(client.writes).toBe(0);
    for (const client of open) expectExact(client.frames, 6);
  });

  it('costs a stalled client one batch in flight and no turn at all afterwards, however many events pass', async () => {
    const bus = new LivebusCore();
    const scheduler = new CountingScheduler();
    const all = clients(bus, scheduler, 50, 4, new Set([7]));
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) bus.publish({ type: 'tick' });
      await turn();
    }
    await until(() =>
      all.every((c, i) => i === 7 || c.frames.at(-1) === `e ${bus.lastSeq}`),
    );
    const stalled = all[7];
    expect(stalled.writes).toBe(1);
    expect(scheduler.adds.get(stalled.pump)).toBe(1);
    // Its queue holds the newest events; what it lost is one exact gap.
    expect(stalled.subscription.size).toBe(4);
    expect(stalled.subscription.takeGap()).toMatchObject({
      missed: 200 - 10 - 4,
    });
    for (const client of all) client.subscription.close();
  });
  it("goes on writing to every other client, then and later, when one client's sink throws", async () => {
    const bus = new LivebusCore();
    const errors: unknown[] = [];
    const scheduler = new WriteScheduler(0, (error) => errors.push(error));
    const before = clients(bus, scheduler, 20, 8);
    const broken = bus.subscribe({ capacity: 8 });
    new ClientPump<string, Tick>(
      broken,
      encoder,
      {
        write() {
          throw new Error('sink broke');
        },
      },
      8,
      [],
      [],
      undefined,
      scheduler,
    );
    const after = clients(bus, scheduler, 20, 8);
    const all = [...before, ...after];
    bus.publish({ type: 'tick' });
    await until(() => all.every((c) => c.frames.at(-1) === 'e 1'));
    for (let i = 0; i < 3; i++) bus.publish({ type: 'tick' });
    await until(() => all.every((c) => c.frames.at(-1) === 'e 4'));
    for (const client of all) expectExact(client.frames, 4);
    expect(errors).toEqual([new Error('sink broke')]);
    for (const client of all) client.subscription.close();
    broken.close();
  });

  it('serves writers in the order they were added while its ring grows and wraps around', async () => {
    const scheduler = new WriteScheduler(0);
    const served: number[] = [];
    const writer = (id: number, then?: number): ScheduledWriter => ({
      writeNow() {
        served.push(id);
        // Added while the ring is being drained: it wraps past its end.
        if (then !== undefined) scheduler.add(writer(then));
      },
    });
    const first = Array.from({ length: 20 }, (_, i) => i);
    for (const id of first) scheduler.add(writer(id, 100 + id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(served).toEqual([...first, ...first.map((id) => 100 + id)]);
    expect(scheduler.waiting).toBe(0);
  });
});
