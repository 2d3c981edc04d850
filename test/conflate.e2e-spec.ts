import type { Namespace } from 'socket.io';
import { LivebusClient, type GapNotice } from '../src/client/index.js';
import type { Subscription } from '../src/core/index.js';
import { PredictionsGateway } from '../src/index.js';
import { once, startApp, until, type TestApp } from './utils.js';
import {
  STALL_TOLERANT_SOCKET_IO,
  serverBufferedBytes,
  tcpOf,
  type PausableTcp,
} from './support/stall.js';

function namespaceOf(t: TestApp): Namespace {
  return (t.app.get(PredictionsGateway) as unknown as { namespace: Namespace })
    .namespace;
}

// Every client's server-side subscription (the core's Subscribers keep
// them in a set; a test reaches in to measure what the server holds).
function subscriptions(t: TestApp): Subscription[] {
  const core = (
    t.bus as unknown as {
      bus: { subscriptions: { open: Set<Subscription> } };
    }
  ).bus;
  return [...core.subscriptions.open];
}

async function getSnapshot(t: TestApp): Promise<unknown> {
  const response = await fetch(`${t.url}/api/ws/snapshot`);
  expect(response.status).toBe(200);
  return response.json();
}

/** A LivebusClient with what the test watches: gaps, resets, events, requests. */
function watchedClient(t: TestApp): {
  client: LivebusClient;
  gaps: GapNotice[];
  resets: string[];
  events: { count: number };
  requests: { count: number };
} {
  const client = new LivebusClient(t.url, {
    socket: { transports: ['websocket'], forceNew: true, reconnection: false },
  });
  const gaps: GapNotice[] = [];
  const resets: string[] = [];
  const events = { count: 0 };
  const requests = { count: 0 };
  client.onGap((gap) => gaps.push(gap));
  client.onReset((reason) => resets.push(reason));
  client.onEvent(() => events.count++);
  // Re-hydration requests, counted as they leave the client.
  const emit = client.socket.emit.bind(client.socket);
  client.socket.emit = ((name: string, ...args: unknown[]) => {
    if (name === 'subscribe') requests.count++;
    return emit(name, ...args);
  }) as typeof client.socket.emit;
  return { client, gaps, resets, events, requests };
}

describe("overflow 'conflate' end to end: a client that stops reading", () => {
  let t: TestApp;
  let client: LivebusClient | undefined;
  let stalledTcp: PausableTcp | undefined;
  afterEach(async () => {
    // A paused client never reads the close handshake: let it go first.
    stalledTcp?.resume();
    stalledTcp = undefined;
    client?.close();
    client = undefined;
    await t.close();
  });

  it('through 100,000 events of 20 types ends, once it reads again, with the snapshot’s state and no round trip, while the server holds at most its queue for it', async () => {
    t = await startApp(
      { worker: false, overflow: 'conflate', historyMaxEvents: 0 },
      { socketIo: STALL_TOLERANT_SOCKET_IO },
    );
    const TOTAL = 100_000;
    const TYPES = 20;
    const CAPACITY = 256;
    const payload = 'x'.repeat(1000); // ~1 KB events
    const stalled = watchedClient(t);
    client = stalled.client;
    await until(() => client!.epoch !== null, 5000, 'hydrated');
    const server = namespaceOf(t).sockets.get(client.socket.id!)!;
    let requestsSeen = 0;
    server.on('subscribe', () => requestsSeen++);
    stalledTcp = tcpOf(client.socket);
    stalledTcp.pause();

    let maxBuffered = 0;
    let maxQueued = 0;
    for (let n = 1; n <= TOTAL; n++) {
      t.bus.publish({ type: `t${n % TYPES}`, n, payload });
      if (n % 100 === 0) {
        // A turn of the event loop: the server writes whatever it can.
        await new Promise((resolve) => setImmediate(resolve));
        maxBuffered = Math.max(
          maxBuffered,
          serverBufferedBytes(namespaceOf(t), client.socket.id!),
        );
        maxQueued = Math.max(maxQueued, subscriptions(t)[0].size);
      }
    }
    const [stalledSub] = subscriptions(t);
    // Bounded by its queue: never more than the capacity queued, one event
    // per type once it overflowed, and at most one batch (256 frames of
    // ~1 KB) in the write path.
    expect(maxQueued).toBeLessThanOrEqual(CAPACITY);
    expect(stalledSub.size).toBeLessThanOrEqual(TYPES);
    expect(maxBuffered).toBeLessThan(CAPACITY * 1100);
    // The client really was behind: most events were conflated away.
    expect(stalledSub.dropped).toBeGreaterThan(TOTAL / 2);

    const snapshot = await getSnapshot(t);
    stalledTcp.resume();
    await until(() => client!.lastSeq === TOTAL, 20_000, 'caught up');
    expect(client.state).toEqual(snapshot);
    // No re-hydration: not asked for by the client, not seen by the server.
    expect(stalled.requests.count).toBe(0);
    expect(requestsSeen).toBe(0);
    expect(stalled.resets).toEqual([]);
    // The notices said exactly what was conflated, and it adds up.
    expect(stalled.gaps.length).toBeGreaterThanOrEqual(1);
    let missed = 0;
    for (const gap of stalled.gaps) {
      const counts = Object.entries(gap.conflated ?? {});
      expect(counts.length).toBeGreaterThan(0);
      expect(counts.every(([type]) => /^t\d+$/.test(type))).toBe(true);
      expect(counts.reduce((sum, [, count]) => sum + count, 0)).toBe(
        gap.missed,
      );
      missed += gap.missed;
    }
    expect(missed).toBe(stalledSub.dropped);
    expect(stalled.events.count + missed).toBe(TOTAL);
  }, 60_000);

  it('loses nothing for a client that keeps up', async () => {
    t = await startApp({ worker: false, overflow: 'conflate' });
    const TOTAL = 10_000;
    const payload = 'x'.repeat(1000);
    const fast = t.connect();
    const hydrated = once(fast, 'snapshot');
    let lastSeq = 0;
    let outOfOrder = 0;
    let events = 0;
    let gaps = 0;
    fast.on('gap', () => gaps++);
    fast.onAny((name: string, _event: unknown, meta?: { seq: number }) => {
      if (name === 'snapshot' || name === 'gap' || !meta) return;
      if (meta.seq !== lastSeq + 1) outOfOrder++;
      lastSeq = meta.seq;
      events++;
    });
    await hydrated;
    for (let n = 1; n <= TOTAL; n++) {
      t.bus.publish({ type: `t${n % 20}`, n, payload });
      // Paced so that a reading client keeps up: within one queue.
      if (n % 100 === 0) await until(() => lastSeq >= n - 100, 10_000, 'fast');
    }
    await until(() => lastSeq === TOTAL, 10_000, 'every event');
    expect({ events, gaps, outOfOrder }).toEqual({
      events: TOTAL,
      gaps: 0,
      outOfOrder: 0,
    });
  });

  it('re-hydrates when a gap lost the latest event of some type (more types than its queue holds)', async () => {
    t = await startApp(
      {
        worker: false,
        overflow: 'conflate',
        queueCapacity: 8,
        historyMaxEvents: 0,
      },
      { socketIo: STALL_TOLERANT_SOCKET_IO },
    );
    const stalled = watchedClient(t);
    client = stalled.client;
    await until(() => client!.epoch !== null, 5000, 'hydrated');
    stalledTcp = tcpOf(client.socket);
    stalledTcp.pause();
    const payload = 'x'.repeat(1000);
    // 40 types through an 8-slot queue, in bursts the server can try to
    // write between: enough to fill the socket buffers, then to overflow.
    for (let n = 1; n <= 40_000; n++) {
      t.bus.publish({ type: `t${n % 40}`, n, payload });
      if (n % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const [stalledSub] = subscriptions(t);
    expect(stalledSub.size).toBeLessThanOrEqual(8);
    expect(stalledSub.dropped).toBeGreaterThan(0);
    // The last word on every type, after the stall.
    for (let i = 0; i < 40; i++) {
      t.bus.publish({ type: `t${i}`, n: -i });
    }
    const last = t.bus.lastSeq;
    const snapshot = await getSnapshot(t);
    stalledTcp.resume();
    await until(
      () => stalled.resets.length > 0 && client!.lastSeq >= last,
      20_000,
      'a re-hydration',
    );
    // One request per re-hydration, however many gaps came before its
    // snapshot (a pending snapshot covers them).
    expect(stalled.resets.every((reason) => reason === 'gap')).toBe(true);
    expect(stalled.requests.count).toBe(stalled.resets.length);
    expect(stalled.gaps.length).toBeGreaterThan(stalled.resets.length);
    expect(client.state).toEqual(snapshot);
    // Some notice's counts fell short of its missed: that is what asked.
    expect(
      stalled.gaps.some(
        (gap) =>
          Object.values(gap.conflated ?? {}).reduce((a, b) => a + b, 0) <
          gap.missed,
      ),
    ).toBe(true);
  });
});
