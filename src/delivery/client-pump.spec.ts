import { LivebusCore } from '../core/livebus-core.js';
import {
  ClientPump,
  type FrameEncoder,
  type FrameSink,
} from './client-pump.js';

// Frames as readable strings; the sink holds each batch until the test says
// it drained, as a slow socket would.
const encoder: FrameEncoder<string> = {
  event: (message) => `event ${message.seq}`,
  gap: (gap) => `gap ${gap.fromSeq}-${gap.toSeq}`,
  snapshot: (_json, meta) => `snapshot ${meta.seq}`,
  resumed: (meta) => `resumed ${meta.fromSeq}`,
};

class HeldSink implements FrameSink<string> {
  readonly batches: string[][] = [];
  private drain: (() => void) | null = null;
  write(frames: readonly string[], onFlushed: () => void): void {
    if (this.drain)
      throw new Error('a batch was written before the last drained');
    this.batches.push([...frames]);
    this.drain = onFlushed;
  }
  /** Lets the batch in flight drain, then lets the pump run. */
  async flush(): Promise<void> {
    const drain = this.drain;
    this.drain = null;
    drain?.();
    await Promise.resolve();
  }
}

const settle = () => Promise.resolve();

describe('ClientPump', () => {
  it('writes the prelude first, then one batch at a time, each after the last drained', async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const sink = new HeldSink();
    new ClientPump(sub, encoder, sink, 2, ['snapshot 0']);
    for (let i = 0; i < 5; i++) bus.publish({ type: 'tick' });
    await settle();
    expect(sink.batches).toEqual([['snapshot 0', 'event 1', 'event 2']]);
    await sink.flush();
    await sink.flush();
    await sink.flush();
    expect(sink.batches.slice(1)).toEqual([
      ['event 3', 'event 4'],
      ['event 5'],
    ]);
    sub.close();
  });

  it("writes the prelude before the constructor returns with firstWrite 'now', then takes scheduler turns as usual", async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const sink = new HeldSink();
    new ClientPump(
      sub,
      encoder,
      sink,
      2,
      ['snapshot 0'],
      [],
      undefined,
      undefined,
      'now',
    );
    expect(sink.batches).toEqual([['snapshot 0']]);
    for (let i = 0; i < 3; i++) bus.publish({ type: 'tick' });
    await settle();
    expect(sink.batches).toHaveLength(1);
    await sink.flush();
    await sink.flush();
    expect(sink.batches.slice(1)).toEqual([
      ['event 1', 'event 2'],
      ['event 3'],
    ]);
    sub.close();
  });

  it('merges re-hydration requests made while a batch is in flight into one snapshot, taken when written', async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const sink = new HeldSink();
    const pump = new ClientPump(sub, encoder, sink, 10, ['snapshot 0']);
    await settle(); // the prelude is in flight and never drains yet
    let taken = 0;
    for (let i = 0; i < 1000; i++) {
      bus.publish({ type: 'tick' });
      pump.requestSnapshot(() => `snapshot ${bus.lastSeq} (${++taken})`);
    }
    await sink.flush();
    // One snapshot, taken at write time; the queued events it covers dropped.
    expect(sink.batches).toEqual([['snapshot 0'], ['snapshot 1000 (1)']]);
    bus.publish({ type: 'tick' });
    await sink.flush();
    expect(sink.batches[2]).toEqual(['event 1001']);
    sub.close();
  });

  it('sends a gap noted while a batch is in flight once it drains, even with nothing queued behind it', async () => {
    const bus = new LivebusCore();
    const sub = bus.subscribe();
    const sink = new HeldSink();
    new ClientPump(sub, encoder, sink, 10, []);
    bus.applySequenced(1, 'tick', '{"type":"tick"}');
    await settle();
    expect(sink.batches).toEqual([['event 1']]);
    // A hole in a shared stream, reported while event 1 is still in flight.
    sub.noteMissed(2, 5);
    await sink.flush();
    expect(sink.batches[1]).toEqual(['gap 2-5']);
    sub.close();
  });

  it('replays a backlog after the prelude, in batches, before live events', async () => {
    const bus = new LivebusCore();
    for (let i = 0; i < 3; i++) bus.publish({ type: 'tick' });
    const plan = bus.resume(bus.epoch, 0);
    const sub = bus.subscribe();
    const sink = new HeldSink();
    new ClientPump(
      sub,
      encoder,
      sink,
      2,
      ['resumed 1'],
      plan.kind === 'replay' ? plan.messages : [],
    );
    bus.publish({ type: 'tick' });
    await settle();
    await sink.flush();
    await sink.flush();
    expect(sink.batches).toEqual([
      ['resumed 1', 'event 1', 'event 2'],
      ['event 3'],
      ['event 4'],
    ]);
    sub.close();
  });
});
