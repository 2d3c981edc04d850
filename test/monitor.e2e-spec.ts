import { fileURLToPath } from 'node:url';
import type { MonitorStateEvent } from '../src/index.js';
import { once, receive, record, startApp, until } from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

type Status = {
  type: 'status';
  state: string;
  pollCount: number;
  pollIntervalMs: number;
  provider: { name: string; state: string };
};

describe('MonitorService with the default activity worker', () => {
  it('publishes real host activity that reaches a client, pauses, resumes, and stops on close', async () => {
    const t = await startApp({ worker: { activity: { pollIntervalMs: 50 } } });
    let closed = false;
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      const statuses = await receive(received, 3, (m) => m.name === 'status');
      const first = statuses[0].event as Status;
      expect(first.pollIntervalMs).toBe(50);
      expect(['idle', 'collecting']).toContain(first.state);
      expect(first.provider.name).toBe(
        process.platform === 'linux' ? 'proc' : 'ps',
      );
      const collecting = await receive(
        received,
        1,
        (m) =>
          m.name === 'status' && (m.event as Status).state === 'collecting',
      );
      expect((collecting[0].event as Status).provider.state).toBe('ready');
      expect(t.monitor.state).toBe('running');
      expect(t.bus.snapshot().status).toMatchObject({ type: 'status' });

      t.monitor.pause();
      await receive(
        received,
        1,
        (m) => m.name === 'status' && (m.event as Status).state === 'paused',
      );
      t.monitor.resume();
      const pausedAt = received.length;
      await until(
        () =>
          received
            .slice(pausedAt)
            .some(
              (m) =>
                m.name === 'status' &&
                (m.event as Status).state === 'collecting',
            ),
        5000,
        'collecting again',
      );

      const threadId = t.monitor.threadId;
      expect(threadId).not.toBeNull();
      await t.close();
      closed = true;
      expect(t.monitor.state).toBe('stopped');
      expect(t.monitor.threadId).toBeNull();
    } finally {
      if (!closed) await t.close();
    }
  });
});

/** How many `monitor` state events the bus carried (they are published too). */
function monitorEvents(t: { monitor: { stats(): { restarts: number } } }) {
  // starting + running, and two more per restart
  return 2 + 2 * t.monitor.stats().restarts;
}

describe('MonitorService supervision (fixture workers)', () => {
  it('restarts a crashed worker with backoff; its events flow again and monitor events say so', async () => {
    const starts = new SharedArrayBuffer(4);
    const t = await startApp({
      worker: {
        script: fixture('crash-once.worker.mjs'),
        workerData: { starts },
        restartDelayMs: 50,
      },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      // Events from the second start prove the restart worked.
      await receive(
        received,
        2,
        (m) =>
          m.name === 'worker_tick' &&
          (m.event as { start: number }).start === 2,
      );
      const states = received
        .filter((m) => m.name === 'monitor')
        .map((m) => m.event as MonitorStateEvent);
      const restarting = states.find((s) => s.state === 'restarting');
      expect(restarting).toMatchObject({ restarts: 1, restartInMs: 50 });
      // A reason code: the crash text stays in the server's log.
      expect(restarting?.reason).toBe('crashed');
      expect(states.at(-1)?.state).toBe('running');
      expect(t.monitor.stats().restarts).toBe(1);
      // The server kept serving throughout.
      expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('relays what a worker publishes before it is ready, counts what the bus refuses', async () => {
    const t = await startApp({
      worker: { script: fixture('early-publish.worker.mjs') },
    });
    try {
      await until(() => t.monitor.stats().relayed >= 3, 5000, 'three relayed');
      expect(t.bus.snapshot()).toMatchObject({
        early: { type: 'early', n: 1 },
        plain: { type: 'plain', n: 2 },
        late: { type: 'late', n: 3 },
      });
      expect(t.monitor.stats().invalid).toBe(1);
      expect(t.bus.stats().rejected).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('relays a flooding worker that honours backpressure without loss: a fast client gets every event in order', async () => {
    // 156 batches of 128 (half a queue): one batch of the old 4,096 would
    // have overflowed every client's queue of 256.
    const total = 20_000;
    const t = await startApp({
      worker: {
        script: fixture('flood.worker.mjs'),
        workerData: { total },
      },
    });
    try {
      const socket = t.connect();
      // The worker may have started before the client connected: the
      // snapshot (always first) says where the client's stream begins.
      let last = Number.NaN;
      socket.once('snapshot', (snapshot: { flood?: { n: number } }) => {
        last = snapshot.flood?.n ?? 0;
      });
      let outOfOrder = 0;
      let gaps = 0;
      socket.on('gap', () => gaps++);
      await new Promise<void>((resolve) =>
        socket.on('flood', (event: { n: number }) => {
          if (event.n !== last + 1) outOfOrder++;
          last = event.n;
          if (last === total) resolve();
        }),
      );
      expect({ outOfOrder, gaps }).toEqual({ outOfOrder: 0, gaps: 0 });
      expect(t.monitor.stats()).toMatchObject({
        relayed: total,
        droppedInWorker: 0,
      });
    } finally {
      await t.close();
    }
  });

  it('keeps a worker that ignores backpressure bounded: it drops its oldest events, counted, and the server keeps serving', async () => {
    const total = 50_000;
    const t = await startApp({
      worker: {
        script: fixture('reckless.worker.mjs'),
        workerData: { total },
        maxPendingEvents: 1000,
      },
    });
    try {
      await until(
        () => t.monitor.stats().relayed === 1000,
        10_000,
        'the kept events relayed',
      );
      // The newest 1,000 were kept; the 49,000 before them were dropped in
      // the worker (reported with the batches), never piled up in the port.
      expect(t.monitor.stats().droppedInWorker).toBe(total - 1000);
      expect(t.bus.snapshot()).toMatchObject({
        flood: { type: 'flood', n: total },
      });
      expect(t.bus.stats().published).toBe(1000 + monitorEvents(t));
      expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('runs the activity monitor over a provider of the app’s own (nestjs-livebus/activity)', async () => {
    const t = await startApp({
      worker: { script: fixture('custom-provider.worker.mjs') },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      const [transition] = await receive(
        received,
        1,
        (m) => m.name === 'transition',
      );
      expect(transition.event).toMatchObject({ from: 'a', to: 'b' });
      expect(t.bus.snapshot()).toMatchObject({
        initial_app: { app: 'a' },
        status: { provider: { name: 'scripted', state: 'ready' } },
      });
    } finally {
      await t.close();
    }
  });

  it('gives up on a worker that never starts, without a tight loop, and keeps serving', async () => {
    const t = await startApp({
      worker: { script: fixture('never-ready.worker.mjs'), restartDelayMs: 10 },
    });
    try {
      await until(() => t.monitor.state === 'failed', 10_000, 'failed state');
      expect(t.monitor.stats().restarts).toBe(4);
      expect(t.bus.snapshot()).toMatchObject({
        monitor: { type: 'monitor', state: 'failed' },
      });
      expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('whenReady resolves true once the module initialised', async () => {
    const t = await startApp({ worker: false });
    try {
      await expect(t.bus.whenReady(1000)).resolves.toBe(true);
    } finally {
      await t.close();
    }
  });
});
