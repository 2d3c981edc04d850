import {
  once,
  receive,
  record,
  startApp,
  until,
  type Received,
  type TestApp,
} from './utils.js';

describe('PredictionsGateway (real Nest app, real socket.io-client)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp({ worker: false });
  });

  afterEach(async () => {
    await t.close();
  });

  it('sends the snapshot first, then events in publish order, each deep-equal', async () => {
    t.bus.publish({ type: 'status', state: 'idle' });
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const events = [
      { type: 'status', state: 'collecting', poll: { count: 1 } },
      { type: 'prediction', label: 'Build', confidence: 0.93 },
      { type: 'tray_state', items: ['a', 'b'], open: true },
      { type: 'suggest_label', label: null, reasons: [] },
    ];
    for (const event of events) t.bus.publish(event);
    const got = await receive(received, 5);
    expect(got[0]).toEqual({
      name: 'snapshot',
      event: { status: { type: 'status', state: 'idle' } },
      meta: { seq: 1, epoch: t.bus.epoch, reset: false, types: null },
    });
    expect(got.slice(1).map((m) => [m.name, m.event, m.meta])).toEqual(
      events.map((event, i) => [event.type, event, { seq: i + 2 }]),
    );
  });

  it('delivers every event to each of two clients', async () => {
    const a = t.connect();
    const b = t.connect();
    const [ra, rb] = [record(a), record(b)];
    await Promise.all([once(a, 'snapshot'), once(b, 'snapshot')]);
    for (let n = 1; n <= 100; n++) t.bus.publish({ type: 'tick', n });
    for (const received of [ra, rb]) {
      const ticks = await receive(received, 100, (m) => m.name === 'tick');
      expect(ticks.map((m) => (m.event as { n: number }).n)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
    }
  });

  it('gives a late client the snapshot and then exactly the newer events, under concurrent publishing', async () => {
    // Publish continuously from macrotasks while clients connect, and keep
    // what was published by seq to check each client's view against it.
    const published = new Map<number, { type: string; n: number }>();
    let n = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        for (let i = 0; i < 5; i++) {
          const event = { type: `t${n % 3}`, n: n++ };
          published.set((await t.bus.publish(event)).seq, event);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const clients: { received: Received[] }[] = [];
    for (let c = 0; c < 5; c++) {
      const socket = t.connect();
      clients.push({ received: record(socket) });
      await until(() => clients[c].received.length > 0, 5000, 'snapshot');
    }
    await until(() => clients.every((c) => c.received.length > 50));
    publishing = false;
    await publisher;
    const lastSeq = t.bus.lastSeq;
    for (const { received } of clients) {
      await until(
        () => received.at(-1)?.meta.seq === lastSeq,
        5000,
        'last event',
      );
      const [snapshot, ...events] = received;
      expect(snapshot.name).toBe('snapshot');
      const at = snapshot.meta.seq;
      // The snapshot is the latest of each type as of `at` ...
      const expected: Record<string, unknown> = {};
      for (let seq = 1; seq <= at; seq++) {
        const event = published.get(seq)!;
        expected[event.type] = event;
      }
      expect(snapshot.event).toEqual(expected);
      // ... and the events are exactly at+1 .. lastSeq: no gap, no duplicate.
      expect(events.map((m) => m.meta.seq)).toEqual(
        Array.from({ length: lastSeq - at }, (_, i) => at + 1 + i),
      );
      for (const m of events)
        expect(m.event).toEqual(published.get(m.meta.seq));
    }
  });

  it('has no subscribers once every client disconnected', async () => {
    const a = t.connect();
    const b = t.connect();
    await Promise.all([once(a, 'snapshot'), once(b, 'snapshot')]);
    expect(t.bus.stats().subscribers).toBe(2);
    a.disconnect();
    await until(() => t.bus.stats().subscribers === 1, 5000, 'one subscriber');
    b.disconnect();
    await until(() => !t.bus.hasSubscribers, 5000, 'no subscribers');
  });

  it('survives a client that connects, publishes and closes; HTTP still answers', async () => {
    const socket = t.connect();
    await once(socket, 'snapshot');
    t.bus.publish({ type: 'status', state: 'idle' });
    socket.disconnect();
    t.bus.publish({ type: 'status', state: 'collecting' });
    const response = await fetch(t.url + '/api/ws/snapshot');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: { type: 'status', state: 'collecting' },
    });
  });

  it('also works over HTTP long-polling', async () => {
    const socket = t.connect('/predictions', { transports: ['polling'] });
    const received = record(socket);
    await once(socket, 'snapshot');
    for (let n = 1; n <= 20; n++) t.bus.publish({ type: 'tick', n });
    const ticks = await receive(received, 20, (m) => m.name === 'tick');
    expect(ticks.map((m) => m.meta.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});

describe('PredictionsGateway options', () => {
  it('serves the configured namespace and disconnects on overflow with the disconnect policy', async () => {
    const t = await startApp({
      worker: false,
      namespace: '/live',
      queueCapacity: 8,
      overflow: 'disconnect',
    });
    try {
      const socket = t.connect('/live');
      await once(socket, 'snapshot');
      const disconnected = once(socket, 'disconnect');
      // More than the queue holds in one synchronous burst.
      for (let n = 0; n < 50; n++) t.bus.publish({ type: 'tick', n });
      expect((await disconnected)[0]).toBe('io server disconnect');
      await until(() => !t.bus.hasSubscribers);
    } finally {
      await t.close();
    }
  });
});
