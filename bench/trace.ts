/**
 * A timeline of the fairness rounds (bench/wide.ts), written only when
 * LIVEBUS_BENCH_TRACE names a directory: the server's GC pauses, write
 * slices, publishes and `GET /api/ws/snapshot` handling, and the probe's
 * request times, all on the wall clock (`performance.timeOrigin + now()`)
 * so the two processes' records line up. `node dist/bench/trace-report.js
 * <dir>` says, for the longest waits, where the time went.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type { Server as HttpServer } from 'node:http';
import { Session } from 'node:inspector';

export const TRACE_DIR = process.env.LIVEBUS_BENCH_TRACE ?? null;

/** Wall-clock ms, comparable across processes. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** Spans as flat [start, duration, extra] triples. */
class Spans {
  data: number[] = [];
  add(start: number, duration: number, extra = 0): void {
    this.data.push(start, duration, extra);
  }
}

export interface ServerTrace {
  gc: number[];
  slices: number[];
  publishes: number[];
  http: number[];
}

let on = false;
let gc = new Spans();
let slices = new Spans();
let publishes = new Spans();
let http = new Spans();
let observer: PerformanceObserver | null = null;

/**
 * Times each slice of `scheduler` (its `slice` is read anew at each turn),
 * with the process's CPU time in it: less than the wall time means the
 * process was not running (the other processes had the cores).
 */
export function traceScheduler(scheduler: object): void {
  if (TRACE_DIR === null) return;
  const s = scheduler as { slice: () => void };
  const slice = s.slice;
  s.slice = () => {
    if (!on) return slice();
    const t0 = wallNow();
    const cpu0 = process.cpuUsage();
    slice();
    const cpu = process.cpuUsage(cpu0);
    slices.add(t0, wallNow() - t0, (cpu.user + cpu.system) / 1000);
  };
}

export function tracePublish<T>(
  publish: (event: T) => void,
): (event: T) => void {
  if (TRACE_DIR === null) return publish;
  return (event) => {
    if (!on) return publish(event);
    const t0 = wallNow();
    publish(event);
    publishes.add(t0, wallNow() - t0);
  };
}

export function traceHttp(server: HttpServer): void {
  if (TRACE_DIR === null) return;
  server.prependListener('request', (request, response) => {
    if (!on || request.url !== '/api/ws/snapshot') return;
    const t0 = wallNow();
    response.once('finish', () => http.add(t0, wallNow() - t0));
  });
}

// With LIVEBUS_BENCH_HEAP too: V8's sampling heap profile of the window
// (what was allocated, by stack), written beside the timeline.
let heap: Session | null = null;

function sampleHeap(start: boolean, file: string): void {
  if (!process.env.LIVEBUS_BENCH_HEAP) return;
  if (start) {
    heap = new Session();
    heap.connect();
    // Everything allocated in the window, also what GC took since.
    heap.post('HeapProfiler.startSampling', {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  const session = heap;
  heap = null;
  session?.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) writeFileSync(file, JSON.stringify(result.profile));
    session.disconnect();
  });
}

export function traceServer(start: boolean, kind: string): void {
  if (TRACE_DIR === null) return;
  sampleHeap(start, join(TRACE_DIR, `heap-${kind}-${Date.now()}.heapprofile`));
  if (start) {
    gc = new Spans();
    slices = new Spans();
    publishes = new Spans();
    http = new Spans();
    observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as { detail?: { kind?: number } }).detail;
        const kindOf = detail?.kind ?? 0;
        gc.add(
          performance.timeOrigin + entry.startTime,
          entry.duration,
          kindOf,
        );
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    on = true;
    return;
  }
  on = false;
  observer?.disconnect();
  const trace: ServerTrace = {
    gc: gc.data,
    slices: slices.data,
    publishes: publishes.data,
    http: http.data,
  };
  writeFileSync(
    join(TRACE_DIR, `server-${kind}-${Date.now()}.json`),
    JSON.stringify(trace),
  );
}

export interface ProbeTrace {
  get: number[];
  ack: number[];
  loopDelayMaxMs: number;
}

export function writeProbeTrace(trace: ProbeTrace): void {
  if (TRACE_DIR === null) return;
  writeFileSync(
    join(TRACE_DIR, `probe-${Date.now()}.json`),
    JSON.stringify(trace),
  );
}
