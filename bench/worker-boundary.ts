/**
 * What a worker that floods its parent costs the main thread: a worker posts
 * `--total` (default 1,000,000) plain events with `parentPort.postMessage`
 * in a synchronous loop, past the helper's flow control. Prints the longest
 * event-loop stall (monitorEventLoopDelay and a 10 ms timer-drift probe),
 * the RSS and heap growth, and where every posted message went.
 *
 *   npm run build && node --expose-gc dist/bench/worker-boundary.js [--total N]
 */
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  EventBusModule,
  EventBusService,
  MonitorService,
} from '../src/index.js';
import { option, out } from './settings.js';

const total = Number(option('total') ?? 1_000_000);
const fixture = fileURLToPath(
  new URL('../../test/fixtures/raw-flood.worker.mjs', import.meta.url),
);
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const posted = new SharedArrayBuffer(4);
  const starts = new SharedArrayBuffer(4);
  // The worker waits at this gate until the app has started.
  const gate = new SharedArrayBuffer(4);
  @Module({
    imports: [
      EventBusModule.forRoot({
        worker: {
          script: fixture,
          workerData: { total, posted, starts, gate },
          // No restart while we measure.
          restartDelayMs: 600_000,
          maxRestartDelayMs: 600_000,
        },
      }),
    ],
  })
  class FloodApp {}
  const app: INestApplication = await NestFactory.create(FloodApp, {
    logger: ['error'],
  });
  await app.init(); // starts the worker (onApplicationBootstrap)
  const monitor = app.get(MonitorService);
  const bus = app.get(EventBusService);
  await sleep(200);
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let peakRss = rssBefore;
  let peakHeap = heapBefore;
  let maxDrift = 0;
  let expected = performance.now() + 10;
  const probe = setInterval(() => {
    const now = performance.now();
    maxDrift = Math.max(maxDrift, now - expected);
    expected = now + 10;
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 10);
  const startedAt = performance.now();
  // Open the gate: the flood starts.
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  // Settled: the worker stopped posting and nothing moved for 1 s.
  let last = '';
  let quietSince = performance.now();
  for (;;) {
    await sleep(100);
    const now = JSON.stringify([monitor.stats(), monitor.state]);
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 1000) break;
    if (performance.now() - startedAt > 120_000) break;
  }
  const settledMs = Math.round(quietSince - startedAt);
  clearInterval(probe);
  delay.disable();
  const stats = monitor.stats();
  const postedCount = Atomics.load(new Int32Array(posted), 0);
  out(`raw messages posted by the worker: ${postedCount} of ${total}`);
  out(`monitor state: ${monitor.state}; settled after ${settledMs} ms`);
  out(
    `event-loop stall: max ${(delay.max / 1e6).toFixed(0)} ms (monitorEventLoopDelay), timer drift max ${maxDrift.toFixed(0)} ms`,
  );
  out(
    `RSS ${(rssBefore / MB).toFixed(0)} MB -> peak ${(peakRss / MB).toFixed(0)} MB (+${((peakRss - rssBefore) / MB).toFixed(0)} MB); heap peak +${((peakHeap - heapBefore) / MB).toFixed(0)} MB`,
  );
  out(`monitor stats: ${JSON.stringify(stats)}`);
  out(`bus published: ${bus.stats().published}`);
  await app.close();
}

await main();
