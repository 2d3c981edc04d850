import { fileURLToPath } from 'node:url';
import { InvalidEventError } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import {
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** POSTs events with an Idempotency-Key header (or several values of it). */
async function postWithKey(
  url: string,
  body: unknown,
  key: string | string[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers({ 'content-type': 'application/json' });
  for (const value of Array.isArray(key) ? key : [key]) {
    headers.append('idempotency-key', value);
  }
  const response = await fetch(url + '/api/events', {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('idempotent publishing (memory transport)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp({ worker: false });
  });
  afterEach(async () => {
    await t.close();
  });

  it('publish(event, { id }) again returns the first receipt, marked duplicate, and publishes nothing', async () => {
    const sub = t.bus.subscribe();
    const first = await t.bus.publish({ type: 'order', n: 1 }, { id: 'o-1' });
    const again = await t.bus.publish({ type: 'order', n: 1 }, { id: 'o-1' });
    expect(first).toEqual({ seq: 1, epoch: t.bus.epoch });
    expect(again).toEqual({ ...first, duplicate: true });
    const batch = await t.bus.publishAll(
      [
        { type: 'order', n: 2 },
        { type: 'order', n: 3 },
      ],
      { id: 'batch-1' },
    );
    expect(
      await t.bus.publishAll([{ type: 'order', n: 9 }], { id: 'batch-1' }),
    ).toEqual({ ...batch, duplicate: true });
    expect(
      sub.take().map((m) => [m.seq, (m.event as unknown as { n: number }).n]),
    ).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(t.bus.stats().published).toBe(3);
    sub.close();
  });

  it('refuses a bad id (a rejected promise, never a throw), naming options.id, and publishes nothing', async () => {
    for (const id of ['', 'with space', 'é', 'x'.repeat(201), 42]) {
      let published: Promise<unknown> | undefined;
      expect(() => {
        published = t.bus.publish(
          { type: 'order', n: 1 },
          { id: id as string },
        );
      }).not.toThrow();
      await expect(published).rejects.toThrow(InvalidEventError);
      await expect(published).rejects.toMatchObject({ path: 'options.id' });
    }
    await expect(
      t.bus.publishAll([{ type: 'order', n: 1 }], { id: 'a\nb' }),
    ).rejects.toThrow(/^options\.id: must be visible ASCII characters/);
    expect(t.bus.lastSeq).toBe(0);
  });

  it('POST with an Idempotency-Key: the same key again answers with the first seqs and duplicate, publishing nothing', async () => {
    const socket = t.connect();
    const received = record(socket);
    await receive(received, 1);
    const body = [
      { type: 'order', n: 1 },
      { type: 'order', n: 2 },
    ];
    const first = await postWithKey(t.url, body, 'req-1');
    expect(first).toEqual({
      status: 202,
      body: { accepted: 2, firstSeq: 1, lastSeq: 2 },
    });
    const again = await postWithKey(t.url, body, 'req-1');
    expect(again).toEqual({
      status: 202,
      body: { accepted: 2, firstSeq: 1, lastSeq: 2, duplicate: true },
    });
    const other = await postWithKey(t.url, { type: 'order', n: 3 }, 'req-2');
    expect(other.body).toEqual({ accepted: 1, firstSeq: 3, lastSeq: 3 });
    // Without a key, every request publishes.
    expect((await post(t.url, { type: 'order', n: 3 })).body).toMatchObject({
      firstSeq: 4,
    });
    const orders = await receive(received, 4, (m) => m.name === 'order');
    expect(orders.map((m) => m.meta.seq)).toEqual([1, 2, 3, 4]);
  });

  it('answers 400 naming the Idempotency-Key header for a bad key, and publishes nothing', async () => {
    for (const key of ['x'.repeat(201), ['a', 'b'], 'tab\there']) {
      const response = await postWithKey(t.url, { type: 'order', n: 1 }, key);
      expect(response.status).toBe(400);
      expect(response.body.field).toBe('Idempotency-Key');
      expect(response.body.message).toMatch(/^header Idempotency-Key /);
    }
    expect(t.bus.lastSeq).toBe(0);
  });
});

describe('idempotent publishing from a worker', () => {
  it('a restarted worker that replays its source with ids publishes each reading once', async () => {
    const starts = new SharedArrayBuffer(4);
    const t = await startApp({
      worker: {
        script: fixture('replay.worker.mjs'),
        workerData: { starts },
        restartDelayMs: 50,
      },
    });
    try {
      const sub = t.bus.subscribe({ types: ['reading', 'heartbeat'] });
      const seen: { type: string; n?: number; start?: number }[] = [];
      await until(
        () => {
          seen.push(...sub.take().map((m) => m.event as (typeof seen)[0]));
          return seen.some((e) => e.type === 'reading' && e.n === 5);
        },
        10_000,
        'reading 5 from the restarted worker',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen.push(...sub.take().map((m) => m.event as (typeof seen)[0]));
      expect(seen.filter((e) => e.type === 'reading').map((e) => e.n)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect(seen.filter((e) => e.type === 'heartbeat')).toEqual([
        { type: 'heartbeat', start: 1 },
        { type: 'heartbeat', start: 2 },
      ]);
      expect(t.monitor.stats().restarts).toBe(1);
      sub.close();
    } finally {
      await t.close();
    }
  });
});

describe('idempotent publishing across two nodes behind one Redis', () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });

  it('a request retried on another node with the same key is stored once', async () => {
    for (let i = 0; i < 2; i++) {
      apps.push(
        await startApp({
          worker: false,
          transport: { type: 'redis', url: redis.url },
        }),
      );
    }
    const [a, b] = apps;
    const first = await postWithKey(a.url, { type: 'order', n: 1 }, 'req-1');
    const retried = await postWithKey(b.url, { type: 'order', n: 1 }, 'req-1');
    expect(retried.body).toEqual({ ...first.body, duplicate: true });
    const receipt = await b.bus.publish({ type: 'order', n: 2 }, { id: 'o-2' });
    expect(await a.bus.publish({ type: 'order', n: 2 }, { id: 'o-2' })).toEqual(
      { ...receipt, duplicate: true },
    );
    for (const app of [a, b]) {
      await until(() => app.bus.lastSeq === 2, 5000, 'seq 2 on every node');
      expect(app.bus.snapshot()).toEqual({ order: { type: 'order', n: 2 } });
    }
  });
});
