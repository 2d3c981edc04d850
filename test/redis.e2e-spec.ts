import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { EventBusModule, TransportUnavailableError } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import {
  once,
  post,
  receive,
  record,
  startApp,
  until,
  type Received,
  type TestApp,
} from './utils.js';

type Tick = { type: string; n: number; node?: string };

/** Runs one command on the Redis at `url`, through a connection of its own. */
async function redisCommand(
  url: string,
  command: string,
  ...args: (string | number)[]
): Promise<unknown> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** The transport's private parts a test looks at. */
function transportOf(app: TestApp): { lastError: string } {
  return (app.bus as unknown as { transport: { lastError: string } }).transport;
}

/** How `promise` settles within `ms`: its value, its error, or 'pending'. */
async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until the client was re-hydrated in `epoch` and holds `event`: in
 * the reset snapshot (taken when its pump writes, so it may already cover
 * the event) or as an event after it.
 */
async function resetTo(
  received: Received[],
  epoch: string,
  event: Tick,
): Promise<Received> {
  const isReset = (m: Received) =>
    m.name === 'snapshot' && m.meta.reset === true && m.meta.epoch === epoch;
  await until(
    () => {
      const at = received.findIndex(isReset);
      if (at < 0) return false;
      const snapshot = received[at].event as Record<string, Tick>;
      return (
        snapshot[event.type]?.n === event.n ||
        received
          .slice(at + 1)
          .some((m) => m.name === event.type && (m.event as Tick).n === event.n)
      );
    },
    10_000,
    `a reset to ${epoch} holding ${JSON.stringify(event)}`,
  );
  return received.find(isReset)!;
}

/** Nest apps (nodes) on the Redis that `url()` names; `closeAll` closes them. */
function redisNodes(url: () => string) {
  const apps: TestApp[] = [];
  return {
    async start(extra: Record<string, unknown> = {}): Promise<TestApp> {
      const app = await startApp({
        worker: false,
        transport: { type: 'redis', url: url() },
        ...extra,
      });
      apps.push(app);
      return app;
    },
    /** Closes one node now (the others stay up). */
    async close(app: TestApp): Promise<void> {
      apps.splice(apps.indexOf(app), 1);
      await app.close();
    },
    async closeAll(): Promise<void> {
      for (const app of apps.splice(0)) await app.close();
    },
  };
}

describe('two nodes behind one real Redis', () => {
  let redis: RedisServer;
  const nodes = redisNodes(() => redis.url);
  const node = nodes.start;

  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await nodes.closeAll();
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
    // ...and the client on B is told to re-hydrate, and gets the new event
    // (in that snapshot, or right after it).
    const reset = await resetTo(received, receipt.epoch, {
      type: 'tick',
      n: 100,
    });
    expect(reset.meta.seq).toBeLessThanOrEqual(1);
    expect(
      received
        .filter((m) => m.name === 'tick' && (m.event as Tick).n === 100)
        .map((m) => m.meta.seq),
    ).toEqual(reset.meta.seq === 1 ? [] : [1]);
  });

  it('keeps the most recently updated types when a node loads a bounded snapshot from the hash', async () => {
    const a = await node({ snapshotMaxTypes: 2 });
    for (const [n, type] of ['t1', 't2', 't3', 't1'].entries()) {
      await a.bus.publish({ type, n: n + 1 });
    }
    // The stream no longer holds them (trimmed): only the hash tells.
    await redisCommand(redis.url, 'XTRIM', 'livebus:stream', 'MAXLEN', 0);
    const c = await node({ snapshotMaxTypes: 2 });
    expect(c.bus.lastSeq).toBe(4);
    // Live, t2 (updated longest ago) went first; loaded, too.
    expect(a.bus.snapshot()).toEqual({
      t3: { type: 't3', n: 3 },
      t1: { type: 't1', n: 4 },
    });
    expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
  });

  it('ages the history by when Redis stored each event, on a running node and on one started later', async () => {
    const b = await node();
    const epoch = b.bus.epoch;
    // Two events Redis took ten minutes ago (past historyMaxAgeMs, 5 min).
    const at = Date.now() - 10 * 60_000;
    for (const seq of [1, 2]) {
      const json = JSON.stringify({ type: 'tick', n: seq });
      await redisCommand(
        redis.url,
        'XADD',
        'livebus:stream',
        `${at}-${seq}`,
        's',
        seq,
        't',
        'tick',
        'j',
        json,
        'e',
        epoch,
      );
      await redisCommand(
        redis.url,
        'HSET',
        'livebus:latest',
        'tick',
        `${seq} ${json}`,
      );
      await redisCommand(redis.url, 'SET', 'livebus:seq', seq);
    }
    await until(() => b.bus.lastSeq === 2, 5000, 'B read 2');
    expect(b.bus.resume(epoch, 0)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    const c = await node();
    expect([c.bus.epoch, c.bus.lastSeq]).toEqual([epoch, 2]);
    expect(c.bus.resume(epoch, 0)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    // A fresh one is kept, stamped with its entry's time.
    await c.bus.publish({ type: 'tick', n: 3 });
    await until(() => b.bus.lastSeq === 3, 5000, 'B read 3');
    const [[id]] = (await redisCommand(
      redis.url,
      'XREVRANGE',
      'livebus:stream',
      '+',
      '-',
      'COUNT',
      1,
    )) as [string, string[]][];
    const plan = b.bus.resume(epoch, 2);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(
      plan.messages.map((m) => [
        m.seq,
        (m as unknown as { acceptedAt: number }).acceptedAt,
      ]),
    ).toEqual([[3, Number(id.split('-')[0])]]);
  });

  it('skips what is not an event in the stream, goes on reading, and still stops promptly', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    await a.bus.publish({ type: 'tick', n: 1 });
    // Entries someone else (a script, another app) put in the stream.
    const foreign = [
      ['hello', 'world'],
      ['s', 'two', 't', 'tick', 'j', '{}', 'e', a.bus.epoch],
      ['s', 99, 't', 'tick', 'j', '{"type":"tick","n":99}', 'e', 'elsewhere'],
    ];
    for (const fields of foreign) {
      await redisCommand(redis.url, 'XADD', 'livebus:stream', '*', ...fields);
    }
    for (let n = 2; n <= 3; n++) await a.bus.publish({ type: 'tick', n });
    const ticks = await receive(received, 3, (m) => m.name === 'tick');
    expect(ticks.map((m) => [m.meta.seq, (m.event as Tick).n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(received.map((m) => m.name)).toEqual([
      'snapshot',
      'tick',
      'tick',
      'tick',
    ]);
    expect(b.bus.lastSeq).toBe(3);
    expect(transportOf(b).lastError).toMatch(
      /belongs to epoch elsewhere, not to the current .*; skipped it/,
    );
    const response = await fetch(b.url + '/api/ws/snapshot');
    expect(await response.json()).toEqual({ tick: { type: 'tick', n: 3 } });
    // A node started now skips them too, and keeps the rest as history.
    const c = await node();
    expect([c.bus.lastSeq, c.bus.snapshot()]).toEqual([
      3,
      { tick: { type: 'tick', n: 3 } },
    ]);
    const plan = c.bus.resume(a.bus.epoch, 0);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(plan.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    const started = Date.now();
    await nodes.close(b);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects a publish Redis does not answer after commandTimeoutMs, saying it may have been published', async () => {
    const a = await node({
      transport: { type: 'redis', url: redis.url, commandTimeoutMs: 300 },
    });
    await a.bus.publish({ type: 'tick', n: 1 });
    // The connection stays open and nothing answers (a half-open one).
    redis.pause();
    try {
      const outcome = await settleWithin(
        a.bus.publish({ type: 'tick', n: 2 }),
        3000,
      );
      expect(outcome).toMatchObject({
        error: expect.any(TransportUnavailableError),
      });
      const error = (outcome as { error: TransportUnavailableError }).error;
      expect(error.maybePublished).toBe(true);
      expect(error.message).toMatch(
        /may have been published: check before publishing again/,
      );
      // The ingest endpoint answers 503 with that message.
      const response = await post(a.url, { type: 'tick', n: 3 });
      expect(response.status).toBe(503);
      expect(response.body.message).toMatch(/may have been published/);
    } finally {
      redis.unpause();
    }
    // And so they were: Redis ran both scripts once it went on.
    await until(() => a.bus.lastSeq === 3, 5000, 'A read 3');
    expect(a.bus.snapshot()).toEqual({ tick: { type: 'tick', n: 3 } });
  });

  it('tells a publish whose reply was lost that it may have been published, and one refused while Redis is down that nothing was', async () => {
    const a = await node();
    await a.bus.publish({ type: 'tick', n: 1 });
    redis.pause();
    const lost = settleWithin(a.bus.publish({ type: 'tick', n: 2 }), 5000);
    // Killed with the script sent and not answered.
    await redis.kill();
    const outcome = await lost;
    expect(outcome).toMatchObject({
      error: expect.any(TransportUnavailableError),
    });
    const error = (outcome as { error: TransportUnavailableError }).error;
    expect(error.maybePublished).toBe(true);
    expect(error.message).toMatch(/may have been published/);
    const refused = await a.bus
      .publish({ type: 'tick', n: 3 })
      .catch((e: unknown) => e as TransportUnavailableError);
    expect(refused).toBeInstanceOf(TransportUnavailableError);
    expect((refused as TransportUnavailableError).maybePublished).toBe(false);
    expect((refused as Error).message).toMatch(/nothing was published/);
    const response = await post(a.url, { type: 'tick', n: 3 });
    expect(response.status).toBe(503);
    expect(response.body.message).toMatch(/nothing was published/);
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

describe('Redis gone back in time (restarted from an older snapshot)', () => {
  let dir: string;
  let redis: RedisServer;
  const nodes = redisNodes(() => redis.url);
  const node = nodes.start;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livebus-redis-'));
    redis = await RedisServer.start({ dir });
  });
  afterEach(async () => {
    await nodes.closeAll();
    await redis.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Nodes A and B, a client on B and an in-process subscriber on B have
   * seen 10 events; Redis then comes back from a dump taken after the 5th
   * (its counter at 5, its hash as of then) and the same epoch key.
   */
  async function backInTime() {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const local = b.bus.subscribe();
    // Counted from before the restore: a node may reload as soon as its
    // reader reconnects, before anyone publishes.
    let resets = 0;
    local.onReset(() => resets++);
    for (let n = 1; n <= 10; n++) {
      await a.bus.publish({ type: `t${n % 3}`, n });
      if (n === 5) await redisCommand(redis.url, 'SAVE');
    }
    await receive(received, 10, (m) => m.name !== 'snapshot');
    await until(() => b.bus.lastSeq === 10, 5000, 'B read 10');
    const epoch = a.bus.epoch;
    await redis.kill();
    await redis.restart();
    expect(await redisCommand(redis.url, 'GET', 'livebus:seq')).toBe('5');
    expect(await redisCommand(redis.url, 'GET', 'livebus:epoch')).toBe(epoch);
    await until(
      () =>
        a.bus.transportState.state === 'ready' &&
        b.bus.transportState.state === 'ready',
      10_000,
      'A and B reconnected',
    );
    local.take();
    return { a, b, received, local, epoch, resets: () => resets };
  }

  // What Redis holds after the restore: the latest of each type up to seq 5.
  const restored = {
    t1: { type: 't1', n: 4 },
    t2: { type: 't2', n: 5 },
    t0: { type: 't0', n: 3 },
  };

  it('the next publish starts a new epoch; running nodes reload from Redis and their clients re-hydrate', async () => {
    const { a, b, received, local, epoch, resets } = await backInTime();
    const receipt = await a.bus.publish({ type: 'after', n: 11 });
    // Not seq 6 of the old epoch, which every node has passed already.
    expect(receipt.epoch).not.toBe(epoch);
    expect(receipt.seq).toBe(6);
    await until(
      () => b.bus.epoch === receipt.epoch && b.bus.lastSeq === 6,
      5000,
      'B in the new epoch',
    );
    // The client is re-hydrated with what Redis now holds...
    const reset = await resetTo(received, receipt.epoch, {
      type: 'after',
      n: 11,
    });
    const expected = { ...restored, after: { type: 'after', n: 11 } };
    expect(reset.event).toMatchObject(
      reset.meta.seq === 6 ? expected : restored,
    );
    // ...which every node agrees on, running or started now.
    const c = await node();
    for (const app of [a, b, c]) {
      await until(() => app.bus.lastSeq === 6, 5000, 'seq 6');
      expect([app.bus.epoch, app.bus.snapshot()]).toEqual([
        receipt.epoch,
        expected,
      ]);
    }
    // The old epoch's entries still in the stream are no part of the new
    // one: not delivered again, not in the history.
    expect(resets()).toBe(1);
    expect(local.take().map((m) => [m.seq, m.type])).toEqual([[6, 'after']]);
    expect(b.bus.resume(receipt.epoch, 0)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    expect(c.bus.resume(receipt.epoch, 0)).toEqual({
      kind: 'reset',
      reason: 'history',
    });
    const plan = b.bus.resume(receipt.epoch, 5);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(plan.messages.map((m) => m.seq)).toEqual([6]);
  });

  it('running nodes notice when they reconnect, before anyone publishes: their clients re-hydrate with what Redis holds', async () => {
    const { b, received, epoch } = await backInTime();
    await until(() => b.bus.epoch !== epoch, 10_000, 'B in a new epoch');
    expect(b.bus.lastSeq).toBe(5);
    expect(b.bus.snapshot()).toEqual(restored);
    const [reset] = await receive(
      received,
      1,
      (m) =>
        m.name === 'snapshot' && (m.meta as { reset?: boolean }).reset === true,
    );
    expect(reset.meta).toMatchObject({ epoch: b.bus.epoch, seq: 5 });
    expect(reset.event).toEqual(restored);
  });

  it('a node started on it begins the new epoch at once, and the others agree', async () => {
    const { a, b, epoch } = await backInTime();
    const c = await node();
    expect(c.bus.epoch).not.toBe(epoch);
    expect(c.bus.lastSeq).toBe(5);
    expect(c.bus.snapshot()).toEqual(restored);
    const receipt = await a.bus.publish({ type: 'after', n: 11 });
    expect([receipt.epoch, receipt.seq]).toEqual([c.bus.epoch, 6]);
    for (const app of [a, b, c]) {
      await until(() => app.bus.lastSeq === 6, 5000, 'seq 6');
      expect([app.bus.epoch, app.bus.snapshot()]).toEqual([
        receipt.epoch,
        { ...restored, after: { type: 'after', n: 11 } },
      ]);
    }
  });
});
