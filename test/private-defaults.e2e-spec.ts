import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { ACTIVITY_WORKER_PATH } from '../src/features/monitor/activity-worker-path.provider.js';
import {
  EventBusModule,
  EventBusService,
  MonitorService,
  type EventBusModuleExtras,
  type EventBusModuleOptions,
} from '../src/index.js';
import { post, until } from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The module exactly as an app imports it (not through startApp). */
async function appWith(options: EventBusModuleOptions & EventBusModuleExtras) {
  let askedForWorker = 0;
  const moduleRef = await Test.createTestingModule({
    imports: [EventBusModule.forRoot(options)],
  })
    .overrideProvider(ACTIVITY_WORKER_PATH)
    .useValue(() => {
      askedForWorker++;
      return fixture('custom-provider.worker.mjs');
    })
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, askedForWorker: () => askedForWorker };
}

describe('private by default', () => {
  it('EventBusModule.forRoot({}) runs no worker and has no ingest route (404)', async () => {
    const { app, url, askedForWorker } = await appWith({});
    try {
      const monitor = app.get(MonitorService);
      expect(monitor.configured).toBe(false);
      expect(monitor.state).toBe('idle');
      expect(askedForWorker()).toBe(0);
      expect((await post(url, { type: 'x' })).status).toBe(404);
      expect(app.get(EventBusService).lastSeq).toBe(0);
      // The read routes are there.
      expect((await fetch(url + '/api/ws/snapshot')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('runs the activity worker when asked for, and the ingest endpoint with ingest: true', async () => {
    const { app, url, askedForWorker } = await appWith({
      worker: { activity: { pollIntervalMs: 10 } },
      ingest: true,
    });
    try {
      const bus = app.get(EventBusService);
      await until(
        () => bus.snapshot().status !== undefined,
        10_000,
        'the activity worker’s status',
      );
      expect(askedForWorker()).toBe(1);
      expect(app.get(MonitorService).configured).toBe(true);
      expect((await post(url, { type: 'prediction' })).status).toBe(202);
      // The worker's types are its own: ingest may not write them.
      expect((await post(url, { type: 'status' })).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('says what changed when given the old shapes', async () => {
    const build = (options: Record<string, unknown>) => () =>
      EventBusModule.forRoot(options as never);
    expect(build({ ingestPath: 'api/events' })).toThrow(
      /ingestPath was replaced by ingest/,
    );
    await expect(
      Test.createTestingModule({
        imports: [
          EventBusModule.forRoot({ worker: { pollIntervalMs: 10 } as never }),
        ],
      }).compile(),
    ).rejects.toThrow(/activity worker no longer runs unless asked for/);
  });
});
