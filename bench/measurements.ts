/**
 * The two measurements every scenario is built from: deliveries/s over a
 * fixed window, and latency at a fixed rate (open loop).
 */
import type { Peer } from './ipc.js';
import {
  percentiles,
  processCpuMs,
  throughput,
  type Latency,
  type Throughput,
} from './measure.js';
import { clientMarks, clients, settle } from './processes.js';
import type {
  ClientMark,
  LatencySamples,
  PaceResult,
  ServerMark,
} from './protocol.js';
import { S, sleep } from './settings.js';

export interface ThroughputRun {
  /** The server the clients are on. */
  server: Peer;
  /** The process that publishes (another node over Redis). */
  publisher?: Peer;
  start: () => Promise<unknown>;
  stop: () => Promise<unknown>;
  peers?: Peer[];
  clientCount?: number;
  warmupMs?: number;
  windowMs?: number;
  redisPid?: number;
}

export async function measureThroughput(
  run: ThroughputRun,
): Promise<Throughput> {
  const { server, publisher = server, peers = clients } = run;
  await run.start();
  await sleep(run.warmupMs ?? S.warmupMs);
  const mark = (): Promise<[ServerMark, ServerMark, ClientMark[]]> =>
    Promise.all([
      server.call<ServerMark>({ cmd: 'mark' }),
      publisher.call<ServerMark>({ cmd: 'mark' }),
      clientMarks(peers),
    ]);
  const redis0 = processCpuMs(run.redisPid);
  const t0 = performance.now();
  const [s0, p0, c0] = await mark();
  await sleep(run.windowMs ?? S.windowMs);
  const [s1, p1, c1] = await mark();
  const redisCpu =
    ((processCpuMs(run.redisPid) - redis0) * 100) / (performance.now() - t0);
  await run.stop();
  await settle(peers);
  return {
    ...throughput([s0, s1], [p0, p1], c0, c1, run.clientCount ?? S.clients),
    redisCpu,
  };
}

export async function measureLatency(
  publisher: Peer,
  timeFanout: boolean,
): Promise<Latency> {
  const paced = publisher.call<PaceResult>({
    cmd: 'pace',
    rate: S.latencyRate,
    bytes: S.eventBytes,
    maxPerTick: S.latencyRate,
    fanoutAfterMs: timeFanout ? S.latencyWarmupMs : undefined,
  });
  await sleep(S.latencyWarmupMs);
  await Promise.all(clients.map((c) => c.call({ cmd: 'latency', on: true })));
  await sleep(S.latencyMs);
  const parts = await Promise.all(
    clients.map((c) => c.call<LatencySamples>({ cmd: 'latency', on: false })),
  );
  await publisher.call({ cmd: 'stop' });
  const { fanout } = await paced;
  await settle(clients);
  const received = percentiles(parts.map((p) => p.samples));
  const server = percentiles([fanout]);
  return {
    p50: received.p50,
    p99: received.p99,
    max: received.max,
    samples: received.count,
    fanoutP50: timeFanout ? server.p50 : NaN,
    fanoutP99: timeFanout ? server.p99 : NaN,
  };
}
