/**
 * The responsiveness probe of the fairness figure (bench/wide.ts), run in a
 * load-client process: one request at a time, back to back, on two paths at
 * once, each timed from send to answer:
 * - HTTP: `GET /api/ws/snapshot` on a kept-alive connection;
 * - socket: a `subscribe` message with an ack id on its own Socket.IO
 *   connection, timed until its ack (ours re-hydrates first: the snapshot
 *   frame goes before the ack).
 * The longest wait of each is what a user would notice while the server
 * fans events out to thousands of clients.
 */
import { Agent, get } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { NAMESPACE } from './events.js';
import type { ProbeResult } from './protocol.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TRACE_DIR, writeProbeTrace } from './trace.js';

// With LIVEBUS_BENCH_TRACE: every wait, as [start, duration, 0] on the wall clock.
const traced = { get: [] as number[], ack: [] as number[] };
const record = (into: number[], t0: number, waited: number): void => {
  if (TRACE_DIR !== null) into.push(performance.timeOrigin + t0, waited, 0);
};
const probeLoop = monitorEventLoopDelay({ resolution: 1 });

/** A pause between two requests, so the probe itself is no load. */
const PAUSE_MS = 2;

let running = false;
let result: ProbeResult = fresh();
let finished: Promise<void>[] = [];

function fresh(): ProbeResult {
  return { httpMaxMs: 0, httpCount: 0, ackMaxMs: 0, ackCount: 0 };
}

const pause = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

async function httpLoop(port: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = get(
        { host: '127.0.0.1', port, path: '/api/ws/snapshot', agent },
        (response) => {
          response.resume();
          response.once('end', resolve);
        },
      );
      request.once('error', reject);
    });
  // Untimed: the first request opens the kept-alive connection and runs
  // cold code on both sides (up to ~100 ms here, more than any fan-out
  // cost); the figure is about what the fan-out does to the ones after.
  await once();
  while (running) {
    const t0 = performance.now();
    await once();
    const waited = performance.now() - t0;
    record(traced.get, t0, waited);
    result.httpMaxMs = Math.max(result.httpMaxMs, waited);
    result.httpCount++;
    await pause();
  }
  agent.destroy();
}

async function ackLoop(port: number): Promise<void> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: false },
  );
  const ackPrefix = `43${NAMESPACE},`;
  let answer: (() => void) | null = null;
  const joined = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (raw: RawData) => {
      const text = (raw as Buffer).toString('latin1', 0, 64);
      if (text.startsWith('0')) ws.send(`40${NAMESPACE},`);
      else if (text.startsWith('2')) ws.send('3');
      else if (text.startsWith(`40${NAMESPACE}`)) resolve();
      else if (text.startsWith(ackPrefix)) answer?.();
    });
  });
  await joined;
  let id = 0;
  while (running) {
    const acked = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const t0 = performance.now();
    ws.send(`42${NAMESPACE},${++id}["subscribe",{}]`);
    await acked;
    const waited = performance.now() - t0;
    record(traced.ack, t0, waited);
    result.ackMaxMs = Math.max(result.ackMaxMs, waited);
    result.ackCount++;
    await pause();
  }
  ws.terminate();
}

export function startProbe(port: number): void {
  result = fresh();
  traced.get = [];
  traced.ack = [];
  if (TRACE_DIR !== null) probeLoop.enable();
  running = true;
  finished = [httpLoop(port), ackLoop(port)];
}

export async function stopProbe(): Promise<ProbeResult> {
  running = false;
  await Promise.all(finished);
  if (TRACE_DIR !== null) {
    probeLoop.disable();
    writeProbeTrace({ ...traced, loopDelayMaxMs: probeLoop.max / 1e6 });
    probeLoop.reset();
  }
  return result;
}
