import {
  Injectable,
  Module,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import {
  BusNotReadyError,
  EventBusModule,
  EventBusService,
  type EventBusModuleOptions,
  type EventBusOptionsFactory,
} from '../src/index.js';
import { once } from './utils.js';
import { CORE_DEFAULTS } from '../src/core/index.js';

// A stand-in for @nestjs/config: options that come from another module.
const SETTINGS = 'SETTINGS';
@Module({
  providers: [
    { provide: SETTINGS, useValue: { namespace: '/live', queue: 8 } },
  ],
  exports: [SETTINGS],
})
class SettingsModule {}

@Injectable()
class OptionsFactory implements EventBusOptionsFactory {
  createEventBusOptions(): EventBusModuleOptions {
    return { worker: false, namespace: '/from-class', queueCapacity: 16 };
  }
}

async function start(
  module: Type | ReturnType<typeof EventBusModule.forRootAsync>,
) {
  const moduleRef = await Test.createTestingModule({
    imports: [module],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url };
}

describe('EventBusModule.forRootAsync', () => {
  let app: INestApplication | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.disconnect();
    await app?.close();
  });

  it('takes options from an injected provider (useFactory + inject), extras beside it', async () => {
    const started = await start(
      EventBusModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SETTINGS],
        useFactory: (settings: { namespace: string; queue: number }) => ({
          worker: false,
          namespace: settings.namespace,
          queueCapacity: settings.queue,
        }),
        snapshotPath: 'state',
      }),
    );
    app = started.app;
    const bus = app.get(EventBusService);
    expect(bus.options.queueCapacity).toBe(8);
    await bus.publish({ type: 'status', state: 'idle' });
    socket = io(started.url + '/live', {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    const [events] = await once(socket, 'snapshot');
    expect(events).toEqual({ status: { type: 'status', state: 'idle' } });
    expect(await (await fetch(started.url + '/state')).json()).toEqual(events);
    expect((await fetch(started.url + '/api/ws/snapshot')).status).toBe(404);
  });

  it('takes options from a class (useClass)', async () => {
    const started = await start(
      EventBusModule.forRootAsync({ useClass: OptionsFactory }),
    );
    app = started.app;
    expect(app.get(EventBusService).options.queueCapacity).toBe(16);
    socket = io(started.url + '/from-class', {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    await once(socket, 'snapshot');
  });

  const badOptions: [EventBusModuleOptions, string][] = [
    [{ queueCapacity: 0 }, 'queueCapacity must be a positive integer, got 0'],
    [
      { namespace: 'live' },
      "namespace must be a Socket.IO namespace starting with '/'",
    ],
    [{ sseKeepAliveMs: 0 }, 'sseKeepAliveMs must be a positive integer'],
    [
      { shutdownGraceMs: -1 },
      'shutdownGraceMs must be a number of ms, 0 or more',
    ],
    [{ maxRequestBytes: 1.5 }, 'maxRequestBytes must be a positive integer'],
    [
      { transientTypes: 'ping' as unknown as string[] },
      'transientTypes must be an array of type names',
    ],
    [
      { worker: { script: '/x.js', restartDelayMs: 0 } },
      'worker.restartDelayMs must be a positive number, got 0',
    ],
    [
      { worker: { script: '/x.js', maxPendingEvents: 0 } },
      'worker.maxPendingEvents must be a positive integer',
    ],
    [
      { worker: { activity: { pollIntervalMs: 0 } } },
      'worker.activity.pollIntervalMs must be a positive number',
    ],
  ];
  it.each(badOptions)(
    'refuses bad options with a TypeError naming the option: %j',
    async (options, message) => {
      const compiling = Test.createTestingModule({
        imports: [EventBusModule.forRoot({ worker: false, ...options })],
      }).compile();
      await expect(compiling).rejects.toThrow(TypeError);
      await expect(compiling).rejects.toThrow(message);
    },
  );

  it('keeps only the core options in bus.options (no transport URL, no password)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          namespace: '/secretless',
          transport: 'memory',
        }),
      ],
    }).compile();
    expect(Object.keys(moduleRef.get(EventBusService).options).sort()).toEqual(
      Object.keys(CORE_DEFAULTS).sort(),
    );
    await moduleRef.close();
  });

  it('refuses a publish before the module has initialised with BusNotReadyError, counted', async () => {
    @Injectable()
    class EarlyPublisher {
      thrown: unknown;
      published: Promise<unknown> | undefined;
      constructor(bus: EventBusService) {
        try {
          this.published = bus.publish({ type: 'too-early' });
        } catch (error) {
          this.thrown = error;
        }
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [EventBusModule.forRoot({ worker: false })],
      providers: [EarlyPublisher],
    }).compile();
    const early = moduleRef.get(EarlyPublisher);
    // Refused with a rejected promise, never a synchronous throw.
    expect(early.thrown).toBeUndefined();
    await expect(early.published).rejects.toBeInstanceOf(BusNotReadyError);
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const bus = app.get(EventBusService);
    expect(bus.stats().refusedNotReady).toBe(1);
    await expect(bus.publish({ type: 'in-time' })).resolves.toMatchObject({
      seq: 1,
    });
    await app.close();
  });
});
