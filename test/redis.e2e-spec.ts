import { Test } from '@nestjs/testing';
import { EventBusModule, TransportUnavailableError } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import {
  once,
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

type Tick = { type: string; n: number; node?: string };

describe('two nodes behind one real Redis', () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  const node = async (extra: Record<string, unknown> = {}) => {
    const app = await startApp({
      worker: false,
      transport: { type: 'redis', url: redis.url },
      ...extra,
    });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });

  it('delivers to a client on node B, in order, what is published on node A; B’s snapshot reflects it', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const published: Tick[] = [];
    for (let n = 1; n <= 500; n++) {
      const event = { type: `t${n % 3}`, n };
      published.push(event);
      void a.bus.publish(event);
    }
    const got = await receive(received, 500, (m) => m.name !== 'snapshot');
    expect(got.map((m) => m.event)).toEqual(published);
    expect(got.map((m) => m.meta.seq)).toEqual(published.map((_, i) => i + 1));
    const response = await fetch(b.url + '/api/ws/snapshot');
    expect(response.headers.get('x-livebus-seq')).toBe('500');
    expect(response.headers.get('x-livebus-epoch')).toBe(a.bus.epoch);
    expect(await response.json()).toEqual({
      t0: { type: 't0', n: 498 },
      t1: { type: 't1', n: 499 },
      t2: { type: 't2', n: 500 },
    });
  });

  it('numbers events from both nodes alike: every client on every node sees one order', async () => {
    const [a, b] = [await node(), await node()];
    const onA = record(a.connect());
    const onB = record(b.connect());
    await until(() => onA.length > 0 && onB.length > 0);
    const sends: Promise<unknown>[] = [];
    for (let n = 1; n <= 200; n++) {
      sends.push(a.bus.publish({ type: 'tick', n, node: 'a' }));
      sends.push(b.bus.publish({ type: 'tick', n, node: 'b' }));
    }
    await Promise.all(sends);
    const fromA = await receive(onA, 400, (m) => m.name === 'tick');
    const fromB = await receive(onB, 400, (m) => m.name === 'tick');
    expect(fromA.map((m) => [m.meta.seq, m.event])).toEqual(
      fromB.map((m) => [m.meta.seq, m.event]),
    );
    expect(fromA.map((m) => m.meta.seq)).toEqual(
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
  });

  it('lets a client that left node A resume on node B with no gap and no duplicate', async () => {
    const [a, b] = [await node(), await node()];
    const first = a.connect();
    const [, meta] = await once<[unknown, { epoch: string }]>(
      first,
      'snapshot',
    );
    const onA = record(first);
    for (let n = 1; n <= 50; n++) await a.bus.publish({ type: 'tick', n });
    const seen = await receive(onA, 50);
    first.disconnect();
    for (let n = 51; n <= 80; n++) await a.bus.publish({ type: 'tick', n });
    const lastSeq = seen.at(-1)!.meta.seq;
    const second = b.connect('/predictions', {
      auth: { epoch: meta.epoch, lastSeq },
    });
    const onB = record(second);
    await receive(onB, 31);
    expect(onB[0]).toMatchObject({
      name: 'resumed',
      event: { epoch: meta.epoch, fromSeq: 51, toSeq: 80, replayed: 30 },
    });
    expect(onB.slice(1).map((m) => (m.event as Tick).n)).toEqual(
      Array.from({ length: 30 }, (_, i) => 51 + i),
    );
  });

  it('waits for a lagging node to read what the client saw elsewhere, then replays exactly', async () => {
    const [a, b] = [await node(), await node()];
    for (let n = 1; n <= 10; n++) await a.bus.publish({ type: 'tick', n });
    await until(() => b.bus.lastSeq === 10, 5000, 'B read 10');
    // Hold B's stream reader back, as a busy node or a slow link would.
    const reader = (
      b.bus as unknown as {
        transport: { reader: { stream: { pause(): void; resume(): void } } };
      }
    ).transport.reader.stream;
    reader.pause();
    for (let n = 11; n <= 15; n++) await a.bus.publish({ type: 'tick', n });
    expect(b.bus.lastSeq).toBe(10);
    // A client that saw 13 on node A comes to B, which has only read 10.
    const socket = b.connect('/predictions', {
      auth: { epoch: a.bus.epoch, lastSeq: 13 },
    });
    const got = record(socket);
    setTimeout(() => reader.resume(), 100);
    await receive(got, 3);
    expect(got[0]).toMatchObject({
      name: 'resumed',
      event: { fromSeq: 14, toSeq: 15, replayed: 2 },
    });
    expect(got.slice(1).map((m) => m.meta.seq)).toEqual([14, 15]);
  });

  it('hydrates a node started later from Redis: snapshot and history', async () => {
    const a = await node();
    for (let n = 1; n <= 20; n++) await a.bus.publish({ type: `t${n % 2}`, n });
    const c = await node();
    expect(c.bus.lastSeq).toBe(20);
    expect(c.bus.epoch).toBe(a.bus.epoch);
    expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
    const socket = c.connect('/predictions', {
      auth: { epoch: a.bus.epoch, lastSeq: 15 },
    });
    const got = record(socket);
    await receive(got, 6);
    expect(got.slice(1).map((m) => m.meta.seq)).toEqual([16, 17, 18, 19, 20]);
  });

  it('survives Redis killed and restarted mid-stream: publishers fail loudly, nodes reconnect, clients are told', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    for (let n = 1; n <= 20; n++) await a.bus.publish({ type: 'tick', n });
    await receive(received, 20, (m) => m.name === 'tick');
    const oldEpoch = a.bus.epoch;

    await redis.kill();
    // Publishing while Redis is down fails to the publisher, at once.
    await expect(a.bus.publish({ type: 'tick', n: 21 })).rejects.toBeInstanceOf(
      TransportUnavailableError,
    );
    expect((await post(a.url, { type: 'tick', n: 21 })).status).toBe(503);
    await until(
      () => b.bus.transportState.state === 'degraded',
      10_000,
      'B degraded',
    );
    // Nodes keep serving what they have.
    expect((await fetch(b.url + '/api/ws/snapshot')).status).toBe(200);

    await redis.restart();
    // Redis came back empty: the next publish starts a new epoch...
    // (both of A's connections are back: 'ready' means the writer is too)
    await until(
      () => a.bus.transportState.state === 'ready',
      10_000,
      'A reconnected',
    );
    const receipt = await a.bus.publish({ type: 'tick', n: 100 });
    expect(receipt.epoch).not.toBe(oldEpoch);
    expect(receipt.seq).toBe(1);
    // ...and the client on B is told to re-hydrate, then gets the new events.
    const reset = await receive(
      received,
      1,
      (m) =>
        m.name === 'snapshot' && (m.meta as { reset?: boolean }).reset === true,
      10_000,
    );
    expect(reset[0].meta).toMatchObject({ epoch: receipt.epoch, reset: true });
    const after = await receive(
      received,
      1,
      (m) => m.name === 'tick' && (m.event as Tick).n === 100,
      10_000,
    );
    expect(after[0].meta.seq).toBe(1);
  });
});

describe('Redis unreachable at start', () => {
  it('fails the application start with a clear error, never a silent in-memory fallback', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          transport: {
            type: 'redis',
            url: 'redis://127.0.0.1:1',
            connectTimeoutMs: 1000,
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*\): start Redis, or fix the transport url/,
    );
    await app.close();
  });
});
