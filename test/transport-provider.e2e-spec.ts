import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  getEventTransportToken,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
} from '../src/index.js';
import { MemoryTransport } from '../src/transports/memory.transport.js';
import {
  SharedLog,
  SharedLogTransport,
} from './support/shared-log.transport.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

const SECRET = 's3cret-pw';
const URL_WITH_PASSWORD = `redis://app:${SECRET}@127.0.0.1:1/0`;

/** A memory transport that counts what it carried and whether it was stopped. */
class CountingTransport implements EventTransport {
  readonly sharedSequence = false;
  appended = 0;
  stopped = false;
  private readonly inner = new MemoryTransport();

  get state() {
    return this.inner.state;
  }
  start(sink: TransportSink): Promise<void> {
    return this.inner.start(sink);
  }
  append(
    events: Parameters<EventTransport['append']>[0],
  ): Promise<PublishReceipt> {
    this.appended += events.length;
    return this.inner.append(events);
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner.stop();
  }
}

const LABEL = Symbol('LABEL');

@Global()
@Module({
  providers: [{ provide: LABEL, useValue: 'from-di' }],
  exports: [LABEL],
})
class LabelModule {}

@Injectable()
class LabelledTransport extends CountingTransport {
  constructor(@Inject(LABEL) readonly label: string) {
    super();
  }
}

describe('the transport option', () => {
  const refused: [string, unknown, RegExp][] = [
    [
      'a string other than memory (a URL)',
      URL_WITH_PASSWORD,
      /^transport must be 'memory', .* got a string other than 'memory'$/,
    ],
    ['a number', 42, /^transport must be .*, got number$/],
    [
      'another type',
      { type: 'kafka', url: URL_WITH_PASSWORD },
      /^transport\.type must be 'redis'/,
    ],
    [
      'Redis options without a url',
      { type: 'redis' },
      /^transport\.url must be a Redis URL/,
    ],
    [
      'a bad Redis timeout',
      { type: 'redis', url: URL_WITH_PASSWORD, commandTimeoutMs: -1 },
      /^transport\.commandTimeoutMs must be a positive integer/,
    ],
    [
      'a bad key prefix',
      { type: 'redis', url: URL_WITH_PASSWORD, keyPrefix: 7 },
      /^transport\.keyPrefix must be a string/,
    ],
    [
      'an object of no known form',
      { url: URL_WITH_PASSWORD },
      /^transport must be .*, got an object with keys url$/,
    ],
    [
      'a useClass that is no class',
      { useClass: 'MyTransport' },
      /^transport\.useClass must be a class/,
    ],
    [
      'a useFactory that is no function',
      { useFactory: {} },
      /^transport\.useFactory must be a function/,
    ],
    [
      'an inject that is no array',
      { useFactory: () => null, inject: 'A' },
      /^transport\.inject must be an array/,
    ],
    [
      'half a transport',
      { start() {}, append() {}, stop() {} },
      /^transport must be an EventTransport; it lacks sharedSequence \(a boolean\), state$/,
    ],
  ];
  it.each(refused)(
    'refuses %s with a TypeError naming transport, never printing the URL',
    async (_, transport, message) => {
      const compiling = Test.createTestingModule({
        imports: [
          EventBusModule.forRoot({
            worker: false,
            transport: transport as 'memory',
          }),
        ],
      }).compile();
      const error = await compiling.catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(SECRET);
    },
  );

  it('hides the password when Redis cannot be reached at start', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          transport: {
            type: 'redis',
            url: URL_WITH_PASSWORD,
            connectTimeoutMs: 1000,
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const error = await app.init().catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /^Cannot reach Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1\/0 /,
    );
    expect((error as Error).message).not.toContain(SECRET);
    await app.close();
  });
});

describe("the app's own transport", () => {
  /** Compiles and starts the module with `transport`; closes it after the test. */
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const app of opened.splice(0)) await app.close();
  });
  async function init(imports: unknown[]) {
    const moduleRef = await Test.createTestingModule({
      imports: imports as [],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    opened.push(app);
    return {
      bus: app.get(EventBusService),
      transport: app.get<EventTransport>(getEventTransportToken()),
      close: () => app.close(),
    };
  }

  it('{ useClass }: created by Nest with its dependencies, carries every publish, stopped at shutdown', async () => {
    const { bus, transport, close } = await init([
      LabelModule,
      EventBusModule.forRoot({
        worker: false,
        transport: { useClass: LabelledTransport },
      }),
    ]);
    expect(transport).toBeInstanceOf(LabelledTransport);
    expect((transport as LabelledTransport).label).toBe('from-di');
    const sub = bus.subscribe();
    await bus.publish({ type: 'tick', n: 1 });
    await bus.publishAll([{ type: 'tick', n: 2 }, { type: 'tock' }]);
    expect((transport as LabelledTransport).appended).toBe(3);
    expect(sub.take().map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(bus.transportState).toEqual({
      name: 'custom',
      state: 'ready',
      sharedSequence: false,
    });
    opened.pop();
    await close();
    expect((transport as LabelledTransport).stopped).toBe(true);
  });

  it('{ useFactory, inject }: called with the injected providers (an optional missing one is undefined), also from forRootAsync', async () => {
    const made: unknown[][] = [];
    const useFactory = (label: string, missing: unknown) => {
      made.push([label, missing]);
      return new CountingTransport();
    };
    const inject = [LABEL, { token: 'NOT_PROVIDED', optional: true }];
    const sync = await init([
      LabelModule,
      EventBusModule.forRoot({
        worker: false,
        transport: { useFactory, inject },
      }),
    ]);
    expect(sync.transport).toBeInstanceOf(CountingTransport);
    await sync.bus.publish({ type: 'tick' });
    expect((sync.transport as CountingTransport).appended).toBe(1);
    const async = await init([
      LabelModule,
      EventBusModule.forRootAsync({
        useFactory: (label: string) => ({
          worker: false,
          transport: { useFactory: () => useFactory(label, 'given') },
        }),
        inject: [LABEL],
      }),
    ]);
    expect(async.transport).toBeInstanceOf(CountingTransport);
    expect(made).toEqual([
      ['from-di', undefined],
      ['from-di', 'given'],
    ]);
  });

  it('can be replaced in a test through getEventTransportToken()', async () => {
    const replacement = new CountingTransport();
    const moduleRef = await Test.createTestingModule({
      imports: [EventBusModule.forRoot({ worker: false })],
    })
      .overrideProvider(getEventTransportToken())
      .useValue(replacement)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    opened.push(app);
    await app.get(EventBusService).publish({ type: 'tick' });
    expect(replacement.appended).toBe(1);
  });

  it('refuses a factory whose result is not a transport, naming it', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          transport: {
            useFactory: () => ({ start: () => undefined }) as never,
          },
        }),
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(
      /^what transport\.useFactory returned must be an EventTransport; it lacks append\(\), stop\(\), sharedSequence/,
    );
  });

  describe('an instance: two apps on one shared log are two nodes', () => {
    const log = new SharedLog();
    let a: TestApp;
    let b: TestApp;
    const bTransport = new SharedLogTransport(log);
    beforeAll(async () => {
      a = await startApp({
        worker: false,
        transport: new SharedLogTransport(log),
      });
      b = await startApp({ worker: false, transport: bTransport });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    it('an event published on one node reaches a Socket.IO client of the other', async () => {
      expect(b.bus.transportState.sharedSequence).toBe(true);
      const socket = b.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      const { seq } = await a.bus.publish({ type: 'tick', n: 1 });
      const [tick] = await receive(received, 1, (m) => m.name === 'tick');
      expect(tick).toMatchObject({
        event: { type: 'tick', n: 1 },
        meta: { seq },
      });
      expect(b.bus.epoch).toBe(a.bus.epoch);
    });

    it('a client that saw a seq on one node resumes on the other, which waits for its reader to get there', async () => {
      await until(() => b.bus.lastSeq === a.bus.lastSeq, 5000, 'B to catch up');
      const from = a.bus.lastSeq;
      bTransport.hold();
      await a.bus.publishAll([
        { type: 'tick', n: 2 },
        { type: 'tick', n: 3 },
      ]);
      expect(b.bus.lastSeq).toBe(from);
      // The client saw from + 1 on A; B has not read it yet.
      const socket = b.connect('/predictions', {
        auth: { epoch: a.bus.epoch, lastSeq: from + 1 },
      });
      const received = record(socket);
      setTimeout(() => bTransport.release(), 100);
      const [resumed, tick] = await receive(received, 2);
      expect(resumed).toMatchObject({
        name: 'resumed',
        event: { fromSeq: from + 2, toSeq: from + 2, replayed: 1 },
      });
      expect(tick).toMatchObject({ name: 'tick', event: { n: 3 } });
    });
  });
});
