/**
 * Thousands of clients, one event at a time (`--only wide`, part of the
 * default run), ours against plain Socket.IO in alternating rounds:
 * - saturation as in figure 1 (closed loop), but one event per publish to
 *   5,000 clients: nothing to batch, so this is the cost of one delivery;
 * - fairness: single events paced at a few per second to 10,000 clients
 *   while a probe in a client process (bench/probe.ts) times, one after the
 *   other, a `GET /api/ws/snapshot` and a `subscribe` round trip on a
 *   socket. The longest wait of each is the figure: how long one fan-out
 *   keeps everything else waiting.
 */
import { setPriority } from 'node:os';
import { Peer } from './ipc.js';
import { medianOf, type Throughput } from './measure.js';
import { measureThroughput } from './measurements.js';
import {
  closeClients,
  clients,
  pinned,
  settle,
  startServer,
  type Kind,
} from './processes.js';
import type { LoopResult, PaceResult, ProbeResult } from './protocol.js';
import { int, ms, pct, ratio, table } from './report.js';
import { S, sleep } from './settings.js';

export const WIDE = {
  saturationClients: 5000,
  fairnessClients: 10_000,
  /** Single events per second in the fairness rounds. */
  fairnessRate: 5,
  fairnessMs: S.windowMs * 2,
  /** Longest wait allowed for a request or a socket message. */
  fairnessTargetMs: 20,
  /** Ours against plain, one event per publish to 5,000 clients. */
  saturationTarget: 1.2,
};

/** What the fairness probe saw, and the server's own view of its event loop. */
export type Fairness = ProbeResult & LoopResult & { published: number };

export interface WideRound {
  saturation: Throughput;
  fairness: Fairness;
}

export interface WideResults {
  ours: WideRound[];
  plain: WideRound[];
}

/** Opens `total` clients spread over the load processes. */
async function connectSpread(port: number, total: number): Promise<void> {
  const n = clients.length;
  await Promise.all(
    clients.map((c, i) =>
      c.call({
        cmd: 'connect',
        port,
        count: Math.floor(total / n) + (i < total % n ? 1 : 0),
      }),
    ),
  );
}

async function saturationRound(kind: Kind): Promise<Throughput> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectSpread(port, WIDE.saturationClients);
    // The server on one CPU and the load clients on the other, as the
    // issue measured it: the figure is then what one server core delivers,
    // not how two cores were shared between the server and its clients.
    const result = await pinned([peer], () =>
      measureThroughput({
        server: peer,
        start: () =>
          peer.call({ cmd: 'saturate', batch: 1, bytes: S.eventBytes }),
        stop: () => peer.call({ cmd: 'stop' }),
        clientCount: WIDE.saturationClients,
      }),
    );
    await closeClients();
    return result;
  } finally {
    await peer.stop();
  }
}

async function fairnessRound(kind: Kind): Promise<Fairness> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectSpread(port, WIDE.fairnessClients);
    // A process of its own: a load client busy reading thousands of
    // connections would answer late and blame the server.
    const prober = Peer.fork('probe', './client.js');
    // Diagnosis only: the load clients yield the CPU to the server and the
    // probe, as clients on other machines would (what is left is the server's).
    const yieldCpu = Boolean(process.env.LIVEBUS_BENCH_NICE_CLIENTS);
    if (yieldCpu) for (const c of clients) setPriority(c.pid, 19);
    try {
      return await probeWhilePacing(peer, prober, port);
    } finally {
      if (yieldCpu) for (const c of clients) setPriority(c.pid, 0);
      await prober.stop();
    }
  } finally {
    await peer.stop();
  }
}

async function probeWhilePacing(
  peer: Peer,
  prober: Peer,
  port: number,
): Promise<Fairness> {
  const paced = peer.call<PaceResult>({
    cmd: 'pace',
    rate: WIDE.fairnessRate,
    bytes: S.eventBytes,
    maxPerTick: 1,
  });
  // Let the first fan-outs pass (JIT) before the probe starts.
  await sleep(1000);
  await prober.call({ cmd: 'probe', on: true, port });
  await peer.call({ cmd: 'loop', on: true });
  await sleep(WIDE.fairnessMs);
  const loop = await peer.call<LoopResult>({ cmd: 'loop', on: false });
  const probe = await prober.call<ProbeResult>({
    cmd: 'probe',
    on: false,
    port,
  });
  await peer.call({ cmd: 'stop' });
  const { published } = await paced;
  await settle(clients);
  await closeClients();
  return { ...probe, ...loop, published };
}

export async function wideRounds(
  rounds: number,
  progress: (line: string) => void,
): Promise<WideResults> {
  const results: WideResults = { ours: [], plain: [] };
  for (let r = 0; r < rounds; r++) {
    const kinds: Kind[] = r % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
    for (const kind of kinds) {
      const saturation = await saturationRound(kind);
      const fairness = await fairnessRound(kind);
      results[kind].push({ saturation, fairness });
      progress(
        `wide ${r + 1}/${rounds} ${kind}: ${int(saturation.deliveriesPerSec)} deliveries/s to ${int(WIDE.saturationClients)} (CPU server ${pct(saturation.serverCpu)}), longest wait while fanning out to ${int(WIDE.fairnessClients)}: GET ${ms(fairness.httpMaxMs)}, subscribe ack ${ms(fairness.ackMaxMs)}, server loop delay ${ms(fairness.loopDelayMaxMs)} (GC ${ms(fairness.longestGcMs)})`,
      );
    }
  }
  return results;
}

export function wideFigures(results: WideResults) {
  const med = (kind: Kind, pick: (r: WideRound) => number) =>
    medianOf(results[kind], pick);
  const deliveries = (kind: Kind) =>
    med(kind, (r) => r.saturation.deliveriesPerSec);
  const ratioOfDeliveries = deliveries('ours') / deliveries('plain');
  const cpuPerThousand = (kind: Kind) =>
    med(
      kind,
      (r) =>
        (r.saturation.serverCpu * 10) / (r.saturation.deliveriesPerSec / 1000),
    );
  const loopMax = (kind: Kind) => med(kind, (r) => r.fairness.loopDelayMaxMs);
  const gcMax = (kind: Kind) => med(kind, (r) => r.fairness.longestGcMs);
  const httpMax = (kind: Kind) => med(kind, (r) => r.fairness.httpMaxMs);
  const ackMax = (kind: Kind) => med(kind, (r) => r.fairness.ackMaxMs);
  return {
    deliveriesPerSec: { ours: deliveries('ours'), plain: deliveries('plain') },
    deliveriesRatio: ratioOfDeliveries,
    deliveriesMet: ratioOfDeliveries >= WIDE.saturationTarget,
    serverCpu: {
      ours: med('ours', (r) => r.saturation.serverCpu),
      plain: med('plain', (r) => r.saturation.serverCpu),
    },
    dropped: med('ours', (r) => r.saturation.dropped),
    cpuMsPerThousand: {
      ours: cpuPerThousand('ours'),
      plain: cpuPerThousand('plain'),
    },
    loopDelayMaxMs: { ours: loopMax('ours'), plain: loopMax('plain') },
    longestGcMs: { ours: gcMax('ours'), plain: gcMax('plain') },
    httpMaxMs: { ours: httpMax('ours'), plain: httpMax('plain') },
    ackMaxMs: { ours: ackMax('ours'), plain: ackMax('plain') },
    fairnessMet:
      httpMax('ours') <= WIDE.fairnessTargetMs &&
      ackMax('ours') <= WIDE.fairnessTargetMs,
  };
}

/** The section's table. */
export function wideReport(results: WideResults): string {
  if (results.ours.length === 0 || results.plain.length === 0) return '';
  const f = wideFigures(results);
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
  return [
    '',
    `one event at a time to thousands of clients (median of ${results.ours.length} rounds each, alternating)`,
    table([
      ['figure', 'ours', 'plain Socket.IO', 'ours/plain', 'target', ''],
      [
        `deliveries/s, ${int(WIDE.saturationClients)} clients, one event per publish, saturation`,
        int(f.deliveriesPerSec.ours),
        int(f.deliveriesPerSec.plain),
        ratio(f.deliveriesPerSec.ours, f.deliveriesPerSec.plain),
        `≥ ${WIDE.saturationTarget.toFixed(1)}×`,
        verdict(f.deliveriesMet),
      ],
      [
        '  server CPU / events dropped (ours)',
        `${pct(f.serverCpu.ours)} / ${int(f.dropped)}`,
        pct(f.serverCpu.plain),
      ],
      [
        '  server CPU per 1,000 deliveries (ratio: plain/ours; robust when the clients set the pace)',
        `${f.cpuMsPerThousand.ours.toFixed(1)} ms`,
        `${f.cpuMsPerThousand.plain.toFixed(1)} ms`,
        ratio(f.cpuMsPerThousand.plain, f.cpuMsPerThousand.ours),
      ],
      [
        `longest wait of a GET /api/ws/snapshot, ${WIDE.fairnessRate} events/s to ${int(WIDE.fairnessClients)} clients`,
        ms(f.httpMaxMs.ours),
        ms(f.httpMaxMs.plain),
        ratio(f.httpMaxMs.ours, f.httpMaxMs.plain),
        `≤ ${WIDE.fairnessTargetMs} ms`,
        verdict(f.httpMaxMs.ours <= WIDE.fairnessTargetMs),
      ],
      [
        '  longest wait of a subscribe ack (a socket round trip)',
        ms(f.ackMaxMs.ours),
        ms(f.ackMaxMs.plain),
        ratio(f.ackMaxMs.ours, f.ackMaxMs.plain),
        `≤ ${WIDE.fairnessTargetMs} ms`,
        verdict(f.ackMaxMs.ours <= WIDE.fairnessTargetMs),
      ],
      [
        "  the server's own longest event-loop delay / longest GC pause",
        `${ms(f.loopDelayMaxMs.ours)} / ${ms(f.longestGcMs.ours)}`,
        `${ms(f.loopDelayMaxMs.plain)} / ${ms(f.longestGcMs.plain)}`,
      ],
    ]),
  ].join('\n');
}
