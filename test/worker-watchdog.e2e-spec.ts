import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import {
  EventBusModule,
  MonitorService,
  type MonitorStateEvent,
} from '../src/index.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type Received,
  type TestApp,
} from './utils.js';

// A worker that hangs, never starts, or runs out of memory is noticed,
// terminated and restarted with the usual backoff; the `monitor` event says
// why with a reason code, and the bus keeps serving meanwhile.

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const states = (received: Received[]): MonitorStateEvent[] =>
  received
    .filter((m) => m.name === 'monitor')
    .map((m) => m.event as MonitorStateEvent);

/** Publishes `serving` events while `busy` runs; the client must get them all. */
async function keepsServing(
  t: TestApp,
  received: Received[],
  busy: () => Promise<void>,
): Promise<void> {
  let sent = 0;
  const timer = setInterval(() => {
    void t.bus.publish({ type: 'serving', n: ++sent });
  }, 20);
  try {
    await busy();
    expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(200);
  } finally {
    clearInterval(timer);
  }
  await until(
    () => received.filter((m) => m.name === 'serving').length === sent,
    5000,
    'every serving event',
  );
  expect(sent).toBeGreaterThan(0);
}

describe('the worker watchdog', () => {
  it('restarts a worker stuck in a busy loop before it said ready (start_timeout), and the bus keeps serving', async () => {
    const t = await startApp({
      worker: {
        script: fixture('busy-before-ready.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        startTimeoutMs: 500,
        restartDelayMs: 50,
      },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      expect(t.monitor.state).toBe('starting');
      await keepsServing(t, received, () =>
        receive(
          received,
          1,
          (m) =>
            m.name === 'alive' && (m.event as { start: number }).start === 2,
        ).then(() => undefined),
      );
      expect(states(received).map((s) => [s.state, s.reason])).toEqual([
        ['restarting', 'start_timeout'],
        ['starting', undefined],
        ['running', undefined],
      ]);
      expect(t.monitor.stats().restarts).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('restarts a worker that hangs after it said ready (hung: no heartbeat), and the bus keeps serving', async () => {
    const t = await startApp({
      worker: {
        script: fixture('busy-after-ready.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        heartbeatIntervalMs: 100,
        hangTimeoutMs: 600,
        restartDelayMs: 50,
      },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      const startedAt = Date.now();
      await keepsServing(t, received, () =>
        receive(
          received,
          1,
          (m) =>
            m.name === 'alive' && (m.event as { start: number }).start === 2,
        ).then(() => undefined),
      );
      const restarting = states(received).find((s) => s.state === 'restarting');
      expect(restarting).toMatchObject({ reason: 'hung', restartInMs: 50 });
      expect(states(received).at(-1)?.state).toBe('running');
      // Noticed within the hang timeout (plus a check interval and slack).
      expect(Date.now() - startedAt).toBeLessThan(5000);
    } finally {
      await t.close();
    }
  });

  it('caps the worker heap (resourceLimits) and restarts a worker over it (out_of_memory)', async () => {
    const t = await startApp({
      worker: {
        script: fixture('heap-hog.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        resourceLimits: { maxOldGenerationSizeMb: 32 },
        restartDelayMs: 50,
      },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      await receive(
        received,
        1,
        (m) => m.name === 'alive' && (m.event as { start: number }).start === 2,
        20_000,
      );
      expect(
        states(received).find((s) => s.state === 'restarting'),
      ).toMatchObject({ reason: 'out_of_memory' });
    } finally {
      await t.close();
    }
  });

  it('tells clients a reason code, never the crash text or file paths', async () => {
    const t = await startApp({
      worker: {
        script: fixture('crash-once.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        restartDelayMs: 50,
      },
    });
    try {
      const socket = t.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      await receive(
        received,
        1,
        (m) =>
          m.name === 'worker_tick' &&
          (m.event as { start: number }).start === 2,
      );
      const all = states(received);
      expect(all.find((s) => s.state === 'restarting')).toMatchObject({
        reason: 'crashed',
      });
      const text = JSON.stringify(all) + JSON.stringify(t.bus.snapshot());
      expect(text).not.toMatch(/boom|fixtures|\.mjs|file:|at /);
    } finally {
      await t.close();
    }
  });

  it('keeps the crash text, stack and paths in the server log', async () => {
    const logs: string[] = [];
    const keep = (...parts: unknown[]): void => {
      logs.push(parts.map(String).join(' '));
    };
    const logger: LoggerService = { log: keep, error: keep, warn: keep };
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: {
            script: fixture('crash-once.worker.mjs'),
            workerData: { starts: new SharedArrayBuffer(4) },
            restartDelayMs: 50,
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    try {
      const monitor = app.get(MonitorService);
      await until(() => monitor.stats().restarts === 1, 10_000, 'a restart');
      const crash = logs.find((line) => line.includes('boom on first start'));
      expect(crash).toMatch(/worker crashed: boom on first start/);
      expect(crash).toMatch(/crash-once\.worker\.mjs/);
      expect(logs.join('\n')).toMatch(
        /worker stopped \(crashed\); restarting in 50 ms/,
      );
    } finally {
      await app.close();
    }
  });

  it('gives up on a worker that never starts, with the reason', async () => {
    const t = await startApp({
      worker: {
        script: fixture('busy-before-ready.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4), spinStarts: 100 },
        startTimeoutMs: 200,
        restartDelayMs: 10,
      },
    });
    try {
      await until(() => t.monitor.state === 'failed', 15_000, 'failed');
      expect(t.bus.snapshot()).toMatchObject({
        monitor: { type: 'monitor', state: 'failed', reason: 'start_timeout' },
      });
      expect(t.monitor.stats().restarts).toBe(4);
    } finally {
      await t.close();
    }
  });
});
