import { Module, type INestApplication } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { HealthController } from '../demo/health.controller.js';
import { LivebusHealthModule } from '../src/features/health/index.js';
import {
  EventBusModule,
  EventBusService,
  LivebusDrain,
  MonitorService,
  type EventBusModuleOptions,
} from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import { until } from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Health {
  status: number;
  body: {
    status: string;
    details: Record<string, Record<string, unknown> & { status: string }>;
  };
}

async function get(url: string): Promise<Health> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** The demo's health controller on a real app with the module and terminus. */
async function startHealthApp(
  options: EventBusModuleOptions,
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      EventBusModule.forRoot(options),
      TerminusModule.forRoot({ logger: false }),
      LivebusHealthModule,
    ],
    controllers: [HealthController],
  })
  class HealthApp {}
  const moduleRef = await Test.createTestingModule({
    imports: [HealthApp],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('LivebusHealthIndicator with @nestjs/terminus', () => {
  let app: INestApplication | undefined;
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await redis?.kill();
    redis = undefined;
  });

  it('is up and ready; a draining node stays alive but is not ready', async () => {
    const started = await startHealthApp({ worker: false });
    app = started.app;
    const live = await get(started.url + '/health');
    expect(live.status).toBe(200);
    expect(live.body.details.livebus.status).toBe('up');
    const ready = await get(started.url + '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.livebus).toMatchObject({
      status: 'up',
      bus: 'accepting',
      transport: 'memory:ready',
      worker: 'none',
      clients: 0,
    });

    app.get(LivebusDrain).start();
    const draining = await get(started.url + '/ready');
    expect(draining.status).toBe(503);
    expect(draining.body.details.livebus).toMatchObject({
      status: 'down',
      bus: 'draining',
      reasons: ['draining: the node is shutting down'],
    });
    expect((await get(started.url + '/health')).status).toBe(200);
  });

  it('is not ready once the worker failed; ready again after a crash and restart', async () => {
    const failing = await startHealthApp({
      worker: { script: fixture('never-ready.worker.mjs'), restartDelayMs: 10 },
    });
    app = failing.app;
    const monitor = app.get(MonitorService);
    await until(() => monitor.state === 'failed', 10_000, 'failed');
    const ready = await get(failing.url + '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.livebus).toMatchObject({
      worker: 'failed',
      reasons: ['worker failed: it could not start and was given up'],
    });
    expect((await get(failing.url + '/health')).status).toBe(200);
    await app.close();

    const crashing = await startHealthApp({
      worker: {
        script: fixture('crash-once.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        restartDelayMs: 20,
      },
    });
    app = crashing.app;
    const restarted = app.get(MonitorService);
    await until(
      () => restarted.stats().restarts === 1 && restarted.state === 'running',
      10_000,
      'restarted',
    );
    const back = await get(crashing.url + '/ready');
    expect(back.status).toBe(200);
    expect(back.body.details.livebus.worker).toBe('running');
  });

  it('is not ready while Redis is down, and ready again once it is back; reports the reader lag', async () => {
    redis = await RedisServer.start();
    const server = redis;
    const started = await startHealthApp({
      worker: false,
      transport: { type: 'redis', url: server.url },
    });
    app = started.app;
    const bus = app.get(EventBusService);
    await bus.publish({ type: 'tick' });
    await until(() => bus.lastSeq === 1);
    const ready = await get(started.url + '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.livebus).toMatchObject({
      transport: 'redis:ready',
      readerLag: 0,
    });

    await server.kill();
    await until(() => bus.transportState.state === 'degraded', 10_000);
    const down = await get(started.url + '/ready');
    expect(down.status).toBe(503);
    expect(down.body.details.livebus).toMatchObject({
      transport: 'redis:degraded',
      reasons: ['transport degraded'],
    });
    // Liveness does not hang on Redis: a restart would not bring it back.
    expect((await get(started.url + '/health')).status).toBe(200);

    await server.restart();
    await until(() => bus.transportState.state === 'ready', 10_000);
    expect((await get(started.url + '/ready')).status).toBe(200);
  });

  it('is not alive while the event loop is blocked past the threshold', async () => {
    const started = await startHealthApp({ worker: false });
    app = started.app;
    expect((await get(started.url + '/health')).status).toBe(200);
    // The event loop held for 1.2 s, over the default 1 s.
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      // busy
    }
    const blocked = await get(started.url + '/health');
    expect(blocked.status).toBe(503);
    expect(blocked.body.details.livebus.status).toBe('down');
    expect(
      blocked.body.details.livebus.eventLoopDelayMs as number,
    ).toBeGreaterThan(1000);
  });
});
