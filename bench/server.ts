/**
 * A bench server process: our gateway (a real Nest app with EventBusModule)
 * or a plain Socket.IO server, and the event generators, driven over IPC by
 * run.ts. Both kinds run exactly the same generator code; only the publish
 * call differs (`bus.publish(event)` / `nsp.emit(type, event)`).
 *
 * Started as `server.js <setup json>`; announces `listening` with its port.
 */
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import {
  monitorEventLoopDelay,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { Server, type Namespace } from 'socket.io';
import {
  EventBusModule,
  EventBusService,
  PredictionsGateway,
  type EventBusModuleOptions,
} from '../src/index.js';
import {
  EVENT_TYPE,
  NAMESPACE,
  eventFactory,
  type TickEvent,
} from './events.js';
import { notify, serve } from './ipc.js';
import { sharedWriteScheduler } from '../src/delivery/write-scheduler.js';
import { benchAuth } from './bench-auth.js';
import {
  traceHttp,
  tracePublish,
  traceScheduler,
  traceServer,
} from './trace.js';
import {
  CONTROL_RUN,
  CONTROL_SLOTS,
  RUN_GO,
  RUN_IDLE,
  RUN_EXIT,
  type PaceResult,
  type PublisherWorkerData,
  type ServerCommand,
  type ServerMark,
  type ServerMemory,
  type ServerSetup,
  type LoopResult,
} from './protocol.js';

const setup = JSON.parse(process.argv[2] ?? '{}') as ServerSetup;

// --- the server under test --------------------------------------------------

interface Target {
  namespace: Namespace;
  /** Publishes one event (ours: the in-memory bus delivers before this returns). */
  publish(event: TickEvent): void;
  /** Events lost to full queues so far (ours), or 0. */
  dropped(): number;
  /** Newest seq this node has delivered (ours), or 0. */
  lastSeq(): number;
  /** Whether events wait in a client's queue (ours), not yet written. */
  queued(): boolean;
  close(): Promise<void>;
  port: number;
}

let control: Int32Array | null = null;

async function startOurs(): Promise<Target> {
  // No limits: the bench opens its clients all at once from one address.
  const options: EventBusModuleOptions = {
    worker: false,
    limits: false,
    ...setup.options,
  };
  if (setup.redisUrl)
    options.transport = { type: 'redis', url: setup.redisUrl };
  if (setup.worker) {
    const shared = new SharedArrayBuffer(
      CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT,
    );
    control = new Int32Array(shared);
    const workerData: PublisherWorkerData = {
      control: shared,
      bytes: setup.worker.bytes,
    };
    options.worker = {
      script: pathToFileURL(
        fileURLToPath(new URL('./publisher.worker.js', import.meta.url)),
      ),
      workerData,
    };
  }
  // Metrics on: a registry of its own, read every second as a scrape would.
  const registry = setup.metrics ? new Registry() : null;
  @Module({})
  class BenchModule {}
  const app: INestApplication = await NestFactory.create(
    {
      module: BenchModule,
      imports: [
        EventBusModule.forRoot({
          ...options,
          ...(registry ? { metrics: { registry, path: false } } : {}),
          ...(setup.guarded ? { auth: benchAuth() } : {}),
          ...(setup.ingest
            ? {
                ingest: {
                  requestsPerSecond: Infinity,
                  eventsPerSecond: Infinity,
                },
              }
            : {}),
        }),
      ],
    },
    { logger: ['error', 'warn'] },
  );
  if (registry) setInterval(() => void registry.metrics(), 1000).unref();
  await app.listen(0, '127.0.0.1');
  const bus = app.get(EventBusService);
  const namespace = (
    app.get(PredictionsGateway) as unknown as { namespace: Namespace }
  ).namespace;
  const http = app.getHttpServer() as HttpServer;
  traceHttp(http);
  traceScheduler(sharedWriteScheduler);
  let failures = 0;
  const publish = setup.redisUrl
    ? (event: TickEvent) => {
        bus.publish(event).catch(() => {
          failures++;
        });
      }
    : (event: TickEvent) => {
        // In memory the event reaches every subscriber before this returns.
        void bus.publish(event);
      };
  return {
    namespace,
    publish: tracePublish(publish),
    dropped: () => bus.stats().dropped + failures,
    lastSeq: () => bus.lastSeq,
    // Clients wait for their turn in the write scheduler; otherwise a
    // client with queued events has a write in the TCP socket (seen below).
    queued: () => sharedWriteScheduler.waiting > 0,
    close: () => app.close(),
    port: (http.address() as AddressInfo).port,
  };
}

async function startPlain(): Promise<Target> {
  // The fairness probe's two requests (bench/probe.ts), answered at once;
  // `POST /api/events` is plainIngestRoute's.
  const http = createServer((request, response) => {
    if (setup.ingest && request.url === '/api/events') return;
    response.setHeader('content-type', 'application/json');
    response.end('{}');
  });
  const io = new Server(http);
  const namespace = io.of(NAMESPACE);
  namespace.on('connection', (socket) => {
    socket.on('subscribe', (_body: unknown, ack: unknown) => {
      if (typeof ack === 'function') (ack as (a: unknown) => void)({ seq: 0 });
    });
  });
  if (setup.ingest) plainIngestRoute(http, namespace);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  traceHttp(http);
  return {
    namespace,
    publish: tracePublish((event: TickEvent) => {
      namespace.emit(EVENT_TYPE, event);
    }),
    dropped: () => 0,
    lastSeq: () => 0,
    queued: () => false,
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
    port: (http.address() as AddressInfo).port,
  };
}

/**
 * Plain's `POST /api/events`: the body JSON-parsed, each event emitted with
 * `nsp.emit` (what an app without this module would write).
 */
function plainIngestRoute(http: HttpServer, namespace: Namespace): void {
  http.on('request', (req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/events') return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as
        TickEvent | TickEvent[];
      const events = Array.isArray(body) ? body : [body];
      for (const event of events) namespace.emit(event.type, event);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: events.length }));
    });
  });
}

// The parts of an Engine.IO connection that tell whether its writes drained.
interface EngineConn {
  writeBuffer: unknown[];
  transport: {
    writable: boolean;
    socket?: { _socket?: { writableLength: number } };
  };
}

/**
 * Whether everything published so far has left the process for every
 * client: nothing in an Engine.IO write buffer, no write in flight, nothing
 * left in Node's TCP buffer. Used the same way for both servers; ours
 * also has nothing in a client's queue (its writes go out in slices over
 * several turns of the event loop, so an empty transport alone does not
 * say every event was written).
 */
function drained(target: Target): boolean {
  if (target.queued()) return false;
  for (const socket of target.namespace.sockets.values()) {
    const conn = socket.conn as unknown as EngineConn;
    if (
      conn.writeBuffer.length > 0 ||
      !conn.transport.writable ||
      (conn.transport.socket?._socket?.writableLength ?? 0) > 0
    ) {
      return false;
    }
  }
  return true;
}

// --- generators ---------------------------------------------------------------

let running = false;
let published = 0;
let progress = 0;
let progressTimer: NodeJS.Timeout | null = null;

function stopGenerator(): void {
  running = false;
  if (control) {
    Atomics.store(control, CONTROL_RUN, RUN_IDLE);
    Atomics.notify(control, CONTROL_RUN);
  }
}

/** Closed loop: a batch, then the next one only once every client's writes drained. */
function saturate(target: Target, batch: number, bytes: number): void {
  const make = eventFactory(bytes);
  running = true;
  const loop = (): void => {
    if (!running) return;
    if (drained(target)) {
      for (let i = 0; i < batch; i++) target.publish(make(++published));
    }
    setImmediate(loop);
  };
  setImmediate(loop);
}

/**
 * Closed loop across nodes: keeps at most `window` events published here and
 * not yet delivered by the node the clients are on (its progress arrives
 * over IPC).
 */
function windowed(
  target: Target,
  batch: number,
  bytes: number,
  window: number,
): void {
  const make = eventFactory(bytes);
  running = true;
  progress = 0;
  const loop = (): void => {
    if (!running) return;
    if (published - progress + batch <= window) {
      for (let i = 0; i < batch; i++) target.publish(make(++published));
    }
    setImmediate(loop);
  };
  setImmediate(loop);
}

/**
 * Open loop at `rate` events/s, timer-driven; at most `maxPerTick` per timer
 * tick (a late tick catches up over the next ones). Resolves after `total`
 * events, or at `stop` without a total. With `fanoutAfterMs`, also times
 * each lone event's fan-out in this process from then on: from the publish
 * call until the microtasks it queued have run (ours writes to its clients
 * in microtasks, plain Socket.IO inside `emit`), i.e. until every client's
 * write has been handed to Node.
 */
function pace(
  target: Target,
  command: Extract<ServerCommand, { cmd: 'pace' }>,
): Promise<PaceResult> {
  const { rate, bytes, maxPerTick, total, fanoutAfterMs } = command;
  const make = eventFactory(bytes);
  running = true;
  const start = performance.now();
  let sent = 0;
  let fanout = new Float64Array(1024);
  let timed = 0;
  const timeFanout = (t0: number): void => {
    if (timed === fanout.length) {
      const grown = new Float64Array(fanout.length * 2);
      grown.set(fanout);
      fanout = grown;
    }
    fanout[timed++] = performance.now() - t0;
  };
  return new Promise((resolve) => {
    const finish = (): void => {
      running = false;
      resolve({
        published: sent,
        ms: performance.now() - start,
        fanout: fanout.slice(0, timed),
      });
    };
    const tick = (): void => {
      const now = performance.now();
      if (!running) {
        finish();
        return;
      }
      let due = Math.floor(((now - start) * rate) / 1000) - sent;
      if (total !== undefined) due = Math.min(due, total - sent);
      const n = Math.min(due, maxPerTick);
      if (
        n === 1 &&
        fanoutAfterMs !== undefined &&
        now - start >= fanoutAfterMs
      ) {
        const t0 = performance.now();
        target.publish(make(++published));
        queueMicrotask(() => timeFanout(t0));
        sent++;
      } else {
        for (let i = 0; i < n; i++) target.publish(make(++published));
        sent += Math.max(0, n);
      }
      if (total !== undefined && sent >= total) {
        finish();
        return;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
}

/** Lets the publisher worker run (it stops with the generator). */
function runWorker(): void {
  const ctrl = control!;
  Atomics.store(ctrl, CONTROL_RUN, RUN_GO);
  Atomics.notify(ctrl, CONTROL_RUN);
}

// The highest RSS seen since the last `mem` call, sampled every 10 ms.
let peakRss = 0;
let peakSampler: NodeJS.Timeout | null = null;

function memory(): ServerMemory {
  const usage = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = space.physical_space_size;
  }
  const result: ServerMemory = {
    rss: usage.rss,
    peakRss: Math.max(peakRss, usage.rss),
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    spaces,
  };
  peakRss = usage.rss;
  peakSampler ??= setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 10).unref();
  return result;
}

// RSS samples without any forced GC (`rss-watch` to `rss-samples`).
let rssSamples: number[] = [];
let rssWatcher: NodeJS.Timeout | null = null;

function watchRss(everyMs: number): void {
  if (rssWatcher) clearInterval(rssWatcher);
  rssSamples = [process.memoryUsage.rss()];
  rssWatcher = setInterval(() => {
    rssSamples.push(process.memoryUsage.rss());
  }, everyMs);
}

function takeRssSamples(): number[] {
  if (rssWatcher) clearInterval(rssWatcher);
  rssWatcher = null;
  const samples = [...rssSamples, process.memoryUsage.rss()];
  rssSamples = [];
  return samples;
}

async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// The longest event-loop delay and GC pause between `loop on` and `loop off`.
let loopDelay: IntervalHistogram | null = null;
let gcObserver: PerformanceObserver | null = null;
let longestGcMs = 0;

function watchLoop(on: boolean): LoopResult | null {
  traceServer(on, setup.kind);
  if (on) {
    longestGcMs = 0;
    loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longestGcMs = Math.max(longestGcMs, entry.duration);
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    return null;
  }
  loopDelay?.disable();
  gcObserver?.disconnect();
  const result: LoopResult = {
    loopDelayMaxMs: (loopDelay?.max ?? 0) / 1e6,
    loopDelayP99Ms: (loopDelay?.percentile(99) ?? 0) / 1e6,
    longestGcMs,
  };
  loopDelay = null;
  return result;
}

// --- main -----------------------------------------------------------------------

const target = setup.kind === 'ours' ? await startOurs() : await startPlain();

serve(async (body) => {
  const command = body as ServerCommand;
  switch (command.cmd) {
    case 'saturate':
      saturate(target, command.batch, command.bytes);
      return null;
    case 'window':
      windowed(target, command.batch, command.bytes, command.window);
      return null;
    case 'pace':
      return pace(target, command);
    case 'loop':
      return watchLoop(command.on);
    case 'worker':
      runWorker();
      return null;
    case 'progress':
      progress = command.delivered;
      return null;
    case 'report-progress': {
      if (progressTimer) clearInterval(progressTimer);
      progressTimer = null;
      if (command.on) {
        const base = target.lastSeq();
        let last = -1;
        progressTimer = setInterval(() => {
          const delivered = target.lastSeq() - base;
          if (delivered !== last) notify('progress', delivered);
          last = delivered;
        }, 2);
      }
      return null;
    }
    case 'stop':
      stopGenerator();
      return { published };
    case 'mark': {
      const mark: ServerMark = {
        at: performance.now(),
        cpu: process.cpuUsage(),
        // The worker's events are counted by the bus (they all pass through it).
        published: setup.worker ? target.lastSeq() : published,
        dropped: target.dropped(),
        lastSeq: target.lastSeq(),
        clients: target.namespace.sockets.size,
      };
      return mark;
    }
    case 'mem':
      await collectGarbage();
      return memory();
    case 'rss-watch':
      watchRss(command.everyMs);
      return null;
    case 'rss-samples':
      return takeRssSamples();
    case 'heap-snapshot':
      await collectGarbage();
      return writeHeapSnapshot(command.path);
    case 'exit':
      stopGenerator();
      if (control) {
        Atomics.store(control, CONTROL_RUN, RUN_EXIT);
        Atomics.notify(control, CONTROL_RUN);
      }
      if (progressTimer) clearInterval(progressTimer);
      await target.close();
      setTimeout(() => process.exit(0), 20);
      return null;
  }
});

notify('listening', { port: target.port, pid: process.pid });
