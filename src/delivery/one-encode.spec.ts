import { LivebusCore } from '../core/livebus-core.js';
import { ClientPump } from './client-pump.js';
import type { FrameEncoder, FrameSink } from './frames.js';

// The fan-out invariant ARCHITECTURE.md names: an event is encoded into a
// transport's frame once, whatever the number of clients, and every client
// is handed that same frame.
interface Frame {
  readonly seq: number;
}

describe('one encode per event', () => {
  it('encodes each event once for all clients, and hands each client the same frame', async () => {
    let encodes = 0;
    const encoder: FrameEncoder<Frame> = {
      event: (message) => {
        encodes++;
        return { seq: message.seq };
      },
      gap: () => ({ seq: -1 }),
      snapshot: (_json, meta) => ({ seq: meta.seq }),
      resumed: (meta) => ({ seq: meta.toSeq }),
    };
    const bus = new LivebusCore();
    const received: Frame[][] = [];
    const subscriptions = Array.from({ length: 3 }, () => {
      const frames: Frame[] = [];
      received.push(frames);
      const sink: FrameSink<Frame> = {
        write(batch, onFlushed) {
          frames.push(...batch);
          queueMicrotask(onFlushed);
        },
      };
      const subscription = bus.subscribe();
      new ClientPump(subscription, encoder, sink, 4, []);
      return subscription;
    });

    for (let i = 0; i < 10; i++) bus.publish({ type: 'tick', n: i });
    await new Promise((resolve) => setImmediate(resolve));

    expect(encodes).toBe(10);
    for (const frames of received) {
      expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    for (let i = 0; i < 10; i++) {
      expect(received[1][i]).toBe(received[0][i]);
      expect(received[2][i]).toBe(received[0][i]);
    }
    for (const subscription of subscriptions) subscription.close();
  });
});
