import { Registry } from 'prom-client';
import type { Socket as ClientSocket } from 'socket.io-client';
import { fileURLToPath } from 'node:url';
import { CLOSE_MESSAGE, type CloseNotice } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import { scrape } from './support/prometheus-text.js';
import {
  once,
  openSse,
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The raw TCP socket under a socket.io-client WebSocket, to stop reading for real. */
function tcpOf(socket: ClientSocket): { pause(): void; resume(): void } {
  const engine = socket.io.engine as unknown as {
    transport: { ws: { _socket: { pause(): void; resume(): void } } };
  };
  return engine.transport.ws._socket;
}

interface Gap {
  missed: number;
  fromSeq: number;
  toSeq: number;
}

describe('GET /metrics after a scripted scenario (memory transport)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('counts publishes, refusals, resumes, resets, drops and gaps exactly', async () => {
    const registry = new Registry();
    t = await startApp({
      worker: false,
      queueCapacity: 8,
      historyMaxEvents: 100,
      metrics: { registry, eventTypes: ['tick'] },
    });
    const app = t;
    const metricsUrl = app.url + '/metrics';

    // A reads everything; one event of another type, three ticks.
    const a = app.connect();
    const aSeen = record(a);
    await once(a, 'snapshot');
    await app.bus.publish({ type: 'ping' });
    for (let n = 1; n <= 3; n++) await app.bus.publish({ type: 'tick', n });
    await receive(aSeen, 4, (m) => m.name === 'tick' || m.name === 'ping');
    // One publish refused as invalid.
    expect((await post(app.url, { nope: true })).status).toBe(400);

    // C resumes two events back (replayed); D from another epoch (reset).
    const c = app.connect('/predictions', {
      auth: { epoch: app.bus.epoch, lastSeq: 2 },
    });
    const cSeen = record(c);
    await receive(cSeen, 2, (m) => m.name === 'tick');
    const d = app.connect('/predictions', {
      auth: { epoch: 'another-epoch', lastSeq: 1 },
    });
    const [, dMeta] = await once<[unknown, { reset: boolean }]>(d, 'snapshot');
    expect(dMeta.reset).toBe(true);
    // E's handshake is malformed: refused with its code.
    const e = app.connect('/predictions', {
      auth: { epoch: 'x', lastSeq: 'abc' },
    });
    const [refusal] = await once<[Error & { data?: CloseNotice }]>(
      e,
      'connect_error',
    );
    expect(refusal.data?.code).toBe('bad_request');
    // SSE: one refused (bad Last-Event-ID), one that reads and leaves.
    const badSse = await openSse(app.url + '/api/events/stream', {
      'last-event-id': 'nope',
    });
    expect(badSse.status).toBe(400);
    await badSse.close();
    const sse = await openSse(app.url + '/api/events/stream');
    await until(() => sse.messages.some((m) => m.event === 'snapshot'));
    await sse.close();
    // A, C and D leave before the flood.
    for (const socket of [a, c, d]) socket.disconnect();
    await until(
      () => app.bus.stats().subscribers === 0,
      5000,
      'A, C, D and the SSE stream gone',
    );

    // B stops reading while 2,000 events of 16 KB go out: more than the
    // kernel's socket buffers hold, so its queue of 8 drops the oldest.
    const b = app.connect();
    const bGaps: Gap[] = [];
    let bLast = 0;
    let bEvents = 0;
    b.on('gap', (gap: Gap) => bGaps.push(gap));
    b.on('tick', (_event: unknown, meta: { seq: number }) => {
      bLast = meta.seq;
      bEvents++;
    });
    await once(b, 'snapshot');
    const tcp = tcpOf(b);
    tcp.pause();
    const payload = 'x'.repeat(16 * 1024);
    const FLOOD = 2000;
    for (let n = 1; n <= FLOOD; n++) {
      await app.bus.publish({ type: 'tick', n: 100 + n, payload });
      if (n % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    tcp.resume();
    const finalSeq = app.bus.lastSeq;
    await until(() => bLast === finalSeq, 20_000, 'B catches up');
    const missed = bGaps.reduce((sum, gap) => sum + gap.missed, 0);
    expect(missed).toBeGreaterThan(0);
    expect(bEvents + missed).toBe(FLOOD);

    const m = await scrape(metricsUrl);
    const socketio = { transport: 'socketio' };
    const sseKind = { transport: 'sse' };
    expect(m.value('livebus_events_published_total')).toBe(4 + FLOOD);
    expect(m.value('livebus_events_refused_total', { reason: 'invalid' })).toBe(
      1,
    );
    expect(m.value('livebus_connections_total', socketio)).toBe(4);
    expect(m.value('livebus_connections_total', sseKind)).toBe(1);
    expect(
      m.value('livebus_connections_refused_total', {
        ...socketio,
        code: 'bad_request',
      }),
    ).toBe(1);
    expect(
      m.value('livebus_connections_refused_total', {
        ...sseKind,
        code: 'bad_request',
      }),
    ).toBe(1);
    expect(
      m.value('livebus_resumes_total', {
        ...socketio,
        outcome: 'replayed',
        reason: 'none',
      }),
    ).toBe(1);
    expect(
      m.value('livebus_resumes_total', {
        ...socketio,
        outcome: 'reset',
        reason: 'epoch',
      }),
    ).toBe(1);
    expect(
      m.value('livebus_disconnections_total', {
        ...socketio,
        reason: 'client_closed',
      }),
    ).toBe(3);
    expect(
      m.value('livebus_disconnections_total', {
        ...sseKind,
        reason: 'client_closed',
      }),
    ).toBe(1);
    expect(m.value('livebus_clients_connected', socketio)).toBe(1);
    expect(m.value('livebus_clients_connected', sseKind)).toBe(0);
    // Drops and gaps: exactly what B was told it missed.
    expect(m.value('livebus_queue_dropped_events_total', socketio)).toBe(
      missed,
    );
    expect(
      m.value('livebus_queue_dropped_events_total', { transport: 'internal' }),
    ).toBe(0);
    expect(m.value('livebus_gap_notices_total', socketio)).toBe(bGaps.length);
    expect(m.value('livebus_gap_missed_events_total', socketio)).toBe(missed);
    // Delivered: A 4, C's replay of 2, D none, B what it got.
    expect(m.value('livebus_events_delivered_total', socketio)).toBe(
      4 + 2 + bEvents,
    );
    expect(
      m.value('livebus_type_events_delivered_total', { type: 'tick' }),
    ).toBe(3 + 2 + bEvents);
    expect(
      m.value('livebus_type_events_delivered_total', { type: 'other' }),
    ).toBe(1);
    // Latency is measured on live events only (not C's replay).
    expect(m.value('livebus_delivery_latency_seconds_count', socketio)).toBe(
      4 + bEvents,
    );
    expect(
      m.value('livebus_delivery_latency_seconds_bucket', {
        ...socketio,
        le: '+Inf',
      }),
    ).toBe(4 + bEvents);
    expect(m.type('livebus_delivery_latency_seconds')).toBe('histogram');
    expect(m.value('livebus_snapshot_types')).toBe(2);
    expect(m.value('livebus_history_events')).toBe(100);
    expect(m.value('livebus_last_seq')).toBe(finalSeq);
    expect(m.value('livebus_worker_state', { state: 'idle' })).toBe(1);
    expect(
      m.value('livebus_transport_state', { kind: 'memory', state: 'ready' }),
    ).toBe(1);
    expect(m.value('livebus_draining')).toBe(0);
    // Bounded labels: no client id, no type but the listed one (and other).
    expect(m.text).not.toContain(b.id!);
    expect(m.text).not.toContain('type="ping"');
  });

  it('counts a slow client disconnected with its code, and says so to the client', async () => {
    const registry = new Registry();
    t = await startApp({
      worker: false,
      queueCapacity: 8,
      overflow: 'disconnect',
      historyMaxEvents: 0,
      metrics: { registry },
    });
    const app = t;
    const slow = app.connect();
    await once(slow, 'snapshot');
    const notices: CloseNotice[] = [];
    slow.on(CLOSE_MESSAGE, (notice: CloseNotice) => notices.push(notice));
    const disconnected = once<[string]>(slow, 'disconnect');
    const tcp = tcpOf(slow);
    tcp.pause();
    const payload = 'x'.repeat(16 * 1024);
    for (let n = 1; n <= 2000 && app.bus.stats().subscribers > 0; n++) {
      await app.bus.publish({ type: 'tick', n, payload });
      if (n % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    tcp.resume();
    expect((await disconnected)[0]).toBe('io server disconnect');
    expect(notices.map((n) => n.code)).toEqual(['slow_client']);
    const m = await scrape(app.url + '/metrics');
    expect(
      m.value('livebus_disconnections_total', {
        transport: 'socketio',
        reason: 'slow_client',
      }),
    ).toBe(1);
    expect(
      m.value('livebus_queue_dropped_events_total', { transport: 'socketio' }),
    ).toBe(1);
  });

  it('counts a worker crash and its restart', async () => {
    const registry = new Registry();
    t = await startApp({
      worker: {
        script: fixture('crash-once.worker.mjs'),
        workerData: { starts: new SharedArrayBuffer(4) },
        restartDelayMs: 20,
      },
      metrics: { registry },
    });
    const app = t;
    await until(
      () =>
        app.monitor.stats().restarts === 1 && app.monitor.state === 'running',
      10_000,
      'restarted and running',
    );
    await until(() => app.monitor.stats().relayed >= 3);
    const m = await scrape(app.url + '/metrics');
    expect(m.value('livebus_worker_restarts_total')).toBe(1);
    expect(m.value('livebus_worker_state', { state: 'running' })).toBe(1);
    expect(m.value('livebus_worker_state', { state: 'restarting' })).toBe(0);
    expect(
      m.value('livebus_worker_events_total', { outcome: 'relayed' }),
    ).toBeGreaterThanOrEqual(3);
    expect(m.value('livebus_worker_events_total', { outcome: 'invalid' })).toBe(
      0,
    );
    expect(
      m.value('livebus_worker_events_total', {
        outcome: 'dropped_in_worker',
      }),
    ).toBe(0);
    expect(m.value('livebus_worker_relay_batches_total')).toBeGreaterThan(0);
  });
});

describe('GET /metrics through a Redis stop and start', () => {
  let redis: RedisServer;
  let t: TestApp | undefined;
  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await redis.kill();
  });

  it('shows the state, the command latency and errors, the reader lag and the epoch change', async () => {
    const registry = new Registry();
    t = await startApp({
      worker: false,
      transport: { type: 'redis', url: redis.url },
      metrics: { registry },
    });
    const app = t;
    const socket = app.connect();
    const seen = record(socket);
    await once(socket, 'snapshot');
    for (let n = 1; n <= 5; n++) await app.bus.publish({ type: 'tick', n });
    await receive(seen, 5, (m) => m.name === 'tick');
    let m = await scrape(app.url + '/metrics');
    expect(
      m.value('livebus_transport_state', { kind: 'redis', state: 'ready' }),
    ).toBe(1);
    expect(m.value('livebus_transport_command_duration_seconds_count')).toBe(5);
    expect(m.value('livebus_transport_command_errors_total')).toBe(0);
    expect(m.value('livebus_transport_reader_lag_events')).toBe(0);
    expect(m.value('livebus_transport_epoch_changes_total')).toBe(0);
    expect(m.value('livebus_transport_skipped_entries_total')).toBe(0);
    expect(m.value('livebus_events_published_total')).toBe(5);

    await redis.kill();
    await until(
      () => app.bus.transportState.state === 'degraded',
      10_000,
      'degraded',
    );
    await expect(app.bus.publish({ type: 'tick', n: 6 })).rejects.toThrow();
    m = await scrape(app.url + '/metrics');
    expect(
      m.value('livebus_transport_state', { kind: 'redis', state: 'degraded' }),
    ).toBe(1);
    expect(m.value('livebus_transport_command_errors_total')).toBe(1);
    // Not asked while Redis is away: no figure rather than a wrong one.
    expect(m.value('livebus_transport_reader_lag_events')).toBeUndefined();

    await redis.restart();
    await until(
      () => app.bus.transportState.state === 'ready',
      10_000,
      'ready again',
    );
    await app.bus.publish({ type: 'tick', n: 7 });
    await until(() => app.bus.lastSeq === 1, 10_000, 'the new epoch read');
    m = await scrape(app.url + '/metrics');
    expect(m.value('livebus_transport_epoch_changes_total')).toBe(1);
    expect(m.value('livebus_events_published_total')).toBe(6);
    expect(m.value('livebus_resyncs_total', { transport: 'socketio' })).toBe(1);
    // 5 + 1 answered appends, and the refused one if it was sent before the
    // writer saw the connection go (a race with the kernel, not a defect).
    const timed = m.value('livebus_transport_command_duration_seconds_count');
    expect(timed).toBeGreaterThanOrEqual(6);
    expect(timed).toBeLessThanOrEqual(7);
  });
});
