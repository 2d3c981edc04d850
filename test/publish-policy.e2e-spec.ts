import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { LivebusLimits } from '../src/index.js';
import {
  once,
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

/**
 * Issue 9, finding 4: publishers cannot evict each other's state. Before
 * the fix, two ingest requests of 600 new types each pushed every real type
 * out of the snapshot (snapshotMaxTypes 1000, least recently updated first),
 * and 10,000 requests in 2.6 s were all accepted.
 */

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const anonymous = (from: number, count: number): { type: string }[] =>
  Array.from({ length: count }, (_, i) => ({ type: `anon-${from + i}` }));

/** POSTs from a chosen loopback address (another "principal" by default). */
function postFrom(
  url: string,
  localAddress: string,
  body: unknown,
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
}> {
  const target = new URL(url + '/api/events');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('ingest: types a publisher may write', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('600 new types in each of two requests evict no real type (finding 4)', async () => {
    t = await startApp({ ingest: true });
    await t.bus.publish({ type: 'status', state: 'collecting' });
    await t.bus.publish({ type: 'prediction', label: 'Build' });
    const first = await post(t.url, anonymous(0, 600));
    const second = await post(t.url, anonymous(600, 600));
    for (const response of [first, second]) {
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'type_limit_reached' });
      expect(String(response.body.message)).toMatch(/ingest\.maxTypes/);
    }
    const snapshot = t.bus.snapshot() as Record<string, unknown>;
    expect(snapshot.status).toEqual({ type: 'status', state: 'collecting' });
    expect(snapshot.prediction).toEqual({ type: 'prediction', label: 'Build' });
    expect(Object.keys(snapshot)).toHaveLength(2);
  });

  it('holds a publisher to maxTypes distinct types; the ones it has stay writable', async () => {
    t = await startApp({ ingest: { maxTypes: 5 } });
    await t.bus.publish({ type: 'status', state: 'idle' });
    expect((await post(t.url, anonymous(0, 5))).status).toBe(202);
    const over = await post(t.url, { type: 'anon-5' });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({
      code: 'type_limit_reached',
      field: 'event.type',
    });
    expect((await post(t.url, { type: 'anon-3', again: true })).status).toBe(
      202,
    );
    expect(Object.keys(t.bus.snapshot()).sort()).toEqual([
      'anon-0',
      'anon-1',
      'anon-2',
      'anon-3',
      'anon-4',
      'status',
    ]);
    expect(t.app.get(LivebusLimits).stats().ingest).toMatchObject({
      typeLimitReached: 1,
    });
  });

  it('publishes only the types its allowlist names (exact, prefix, pattern), all or nothing', async () => {
    t = await startApp({
      ingest: { types: ['prediction', 'sensor.*', /^job:\d+$/] },
    });
    expect((await post(t.url, { type: 'prediction', label: 'x' })).status).toBe(
      202,
    );
    expect((await post(t.url, { type: 'sensor.temp', c: 21 })).status).toBe(
      202,
    );
    expect((await post(t.url, { type: 'job:12' })).status).toBe(202);
    const refused = await post(t.url, [
      { type: 'prediction', label: 'y' },
      { type: 'sensorX' },
    ]);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'type_not_allowed',
      field: 'events[1].type',
    });
    expect(String(refused.body.message)).toMatch(/"sensorX".*ingest\.types/);
    expect(
      (t.bus.snapshot() as Record<string, { label?: string }>).prediction,
    ).toEqual({ type: 'prediction', label: 'x' });
    expect(t.bus.lastSeq).toBe(3);
  });

  it("a wildcard publisher cannot write the worker's or the monitor's types", async () => {
    t = await startApp({
      ingest: true,
      worker: { script: fixture('types.worker.mjs'), types: ['reading'] },
    });
    for (const type of ['reading', 'monitor']) {
      const response = await post(t.url, { type });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ code: 'type_not_allowed' });
    }
    expect((await post(t.url, { type: 'prediction' })).status).toBe(202);
  });

  it('asks the validate hook about each event; a refusal is 400 and names the event', async () => {
    t = await startApp({
      ingest: {
        validate: (event) =>
          typeof event.label === 'string' || 'label must be a string',
      },
    });
    expect((await post(t.url, { type: 'prediction', label: 'x' })).status).toBe(
      202,
    );
    const refused = await post(t.url, [
      { type: 'prediction', label: 'y' },
      { type: 'prediction', label: 3 },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'invalid_event',
      field: 'events[1]',
    });
    expect(String(refused.body.message)).toMatch(/label must be a string/);
    expect(t.bus.lastSeq).toBe(1);
  });
});

describe('ingest: requests and events per second, per principal', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('refuses a flood with 429 and Retry-After, and keeps serving the others (finding 4)', async () => {
    t = await startApp({ ingest: { requestsPerSecond: 20 } });
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const started = Date.now();
    let accepted = 0;
    let limited: Awaited<ReturnType<typeof postFrom>> | null = null;
    for (let i = 0; i < 300; i++) {
      const response = await postFrom(t.url, '127.0.0.1', {
        type: 'flood',
        i,
      });
      if (response.status === 202) accepted++;
      else if (response.status === 429) limited ??= response;
      else throw new Error(`unexpected ${response.status}`);
    }
    const seconds = (Date.now() - started) / 1000;
    // A bucket of 2 s worth (40), refilled at 20/s.
    expect(accepted).toBeLessThanOrEqual(40 + Math.ceil(20 * seconds) + 1);
    expect(accepted).toBeGreaterThanOrEqual(40);
    expect(limited).not.toBeNull();
    expect(limited!.body).toMatchObject({ code: 'rate_limited' });
    expect(limited!.body.retryAfterMs).toBeGreaterThan(0);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address is another principal: served at once.
    const other = await postFrom(t.url, '127.0.0.2', { type: 'other' });
    expect(other.status).toBe(202);
    // The reading client got every accepted event, and the other one.
    await receive(received, accepted, (m) => m.name === 'flood');
    await receive(received, 1, (m) => m.name === 'other');
    expect(t.app.get(LivebusLimits).stats().ingest).toMatchObject({
      rateLimited: 300 - accepted,
    });
  });

  it('counts events too: a request that overdraws the event budget is taken, the next waits', async () => {
    t = await startApp({ ingest: { eventsPerSecond: 10 } });
    // 20 events fill the 2 s bucket; 30 overdraw it by 10 (one second).
    expect(
      (
        await post(
          t.url,
          anonymous(0, 30).map((e) => ({ ...e, type: 'batch' })),
        )
      ).status,
    ).toBe(202);
    const next = await post(t.url, { type: 'batch' });
    expect(next.status).toBe(429);
    expect(next.body.retryAfterMs).toBeGreaterThan(500);
    expect(next.body.retryAfterMs).toBeLessThanOrEqual(1000);
  });
});

describe('worker: types it may publish and its rate', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('publishes only its allowlisted types; the rest are counted and logged, not published', async () => {
    t = await startApp({
      worker: {
        script: fixture('types.worker.mjs'),
        workerData: { types: ['reading', 'rogue'], raw: ['reading', 'rogue2'] },
        types: ['reading', 'done'],
      },
    });
    await until(() => t.bus.snapshot().done !== undefined, 10_000, 'done');
    // Plain postMessage events are relayed from their own queue, which may
    // still be draining when the helper's `done` is in.
    await until(
      () => {
        const { relayed, refusedByPolicy } = t.monitor.stats();
        return relayed + refusedByPolicy === 5;
      },
      10_000,
      'the plain events relayed or refused',
    );
    expect(Object.keys(t.bus.snapshot()).sort()).toEqual([
      'done',
      'monitor',
      'reading',
    ]);
    expect(t.monitor.stats()).toMatchObject({ relayed: 3, refusedByPolicy: 2 });
  });

  it('a worker that invents 600 types evicts no real type', async () => {
    t = await startApp({
      worker: {
        script: fixture('types.worker.mjs'),
        workerData: {
          types: Array.from({ length: 600 }, (_, i) => `w-${i}`),
        },
      },
    });
    await t.bus.publish({ type: 'status', state: 'collecting' });
    // w-100..w-599 and its last event, `done`: all new types past its 100.
    await until(
      () => t.monitor.stats().refusedByPolicy >= 501,
      10_000,
      'refusals',
    );
    const snapshot = t.bus.snapshot() as Record<string, unknown>;
    expect(snapshot.status).toEqual({ type: 'status', state: 'collecting' });
    // 100 of its own (w-0..w-99), the monitor's, the provider's.
    expect(Object.keys(snapshot)).toHaveLength(102);
    expect(snapshot['w-99']).toBeDefined();
    expect(snapshot['w-100']).toBeUndefined();
    expect(t.monitor.stats().refusedByPolicy).toBe(501);
  });

  it('holds a worker to eventsPerSecond by holding back its batch acks, losing nothing', async () => {
    t = await startApp({
      worker: {
        script: fixture('types.worker.mjs'),
        workerData: { types: ['tick'], repeat: 600 },
        eventsPerSecond: 400,
      },
    });
    const started = Date.now();
    await until(() => t.bus.snapshot().done !== undefined, 15_000, 'done');
    const seconds = (Date.now() - started) / 1000;
    // 800 in the bucket (2 s), the rest at 400/s: at least ~0.5 s for 601.
    // (Less than the bucket here: it shows no loss; the next shows the wait.)
    expect(t.monitor.stats()).toMatchObject({
      relayed: 601,
      droppedInWorker: 0,
    });
    expect(seconds).toBeLessThan(10);
  });

  it('a worker faster than its rate waits: 3,000 events at 1,000/s take over a second', async () => {
    t = await startApp({
      worker: {
        script: fixture('types.worker.mjs'),
        workerData: { types: ['tick'], repeat: 3000 },
        eventsPerSecond: 1000,
      },
    });
    const started = Date.now();
    await until(() => t.bus.snapshot().done !== undefined, 15_000, 'done');
    const seconds = (Date.now() - started) / 1000;
    expect(t.monitor.stats()).toMatchObject({
      relayed: 3001,
      droppedInWorker: 0,
    });
    // 2,000 in the bucket, 1,001 more at 1,000/s.
    expect(seconds).toBeGreaterThan(0.8);
    expect(t.app.get(LivebusLimits).stats().worker).toMatchObject({
      throttledMs: expect.any(Number),
    });
  });
});
