import { fileURLToPath } from 'node:url';
import { Test } from '@nestjs/testing';
import { ACTIVITY_WORKER_PATH } from '../src/features/monitor/activity-worker-path.provider.js';
import {
  EventBusModule,
  EventBusService,
  MonitorService,
} from '../src/index.js';
import { until } from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** An app whose built-in activity worker file comes from `resolve`. */
async function appWithWorkerPath(
  worker: false | { activity: { pollIntervalMs: number } },
  resolve: () => string,
) {
  const moduleRef = await Test.createTestingModule({
    imports: [EventBusModule.forRoot({ worker })],
  })
    .overrideProvider(ACTIVITY_WORKER_PATH)
    .useValue(resolve)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('the activity worker’s file, behind a DI token', () => {
  it('runs the file the token gives when the module runs the built-in worker', async () => {
    let asked = 0;
    const app = await appWithWorkerPath(
      { activity: { pollIntervalMs: 10 } },
      () => {
        asked++;
        return fixture('custom-provider.worker.mjs');
      },
    );
    try {
      const bus = app.get(EventBusService);
      await until(
        () => bus.snapshot().transition !== undefined,
        10_000,
        'a transition from the fixture worker',
      );
      expect(bus.snapshot()).toMatchObject({
        status: { provider: { name: 'scripted', state: 'ready' } },
      });
      expect(app.get(MonitorService).state).toBe('running');
      expect(asked).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('does not ask for it when the module runs no worker', async () => {
    const app = await appWithWorkerPath(false, () => {
      throw new Error('asked for the worker file');
    });
    try {
      expect(app.get(MonitorService).state).toBe('idle');
    } finally {
      await app.close();
    }
  });
});
