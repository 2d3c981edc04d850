/**
 * Memory close to the data, and HTTP ingest (issue 13), each against plain
 * Socket.IO in the same run:
 * - flow memory (`--only flow`): 100,000 events of 1 KB to 2 reading
 *   clients, our default history; the peak RSS above the start, sampled
 *   every 10 ms with no forced GC (history bytes included: it starts empty).
 * - crowd (`--only crowd`): 5,000 raw ws clients, 10 events/s; RSS sampled
 *   every 100 ms over a window, never a forced GC: median and max.
 * - ingest (`--only ingest`): the same 100,000 events of 1 KB through
 *   `POST /api/events`, 50 per request, 4 requests in flight, 2 reading
 *   clients: the wall time to the last answer. Plain's route JSON-parses
 *   the body and emits each event with `nsp.emit`.
 */
import { Agent, request } from 'node:http';
import { eventFactory } from '../events.js';
import { median } from '../measure.js';
import {
  clientMarks,
  clients,
  closeClients,
  settle,
  startServer,
  type Kind,
} from '../processes.js';
import type { PaceResult, ServerSetup } from '../protocol.js';
import { int, mb } from '../report.js';
import { flag, S, sleep } from '../settings.js';

const quick = flag('quick');
export const FLOW = {
  events: 100_000,
  eventBytes: 1024,
  warmupEvents: 1000,
  rate: 25_000,
  crowdClients: 5000,
  crowdRate: 10,
  crowdWarmupMs: quick ? 2000 : 3000,
  crowdWindowMs: quick ? 5000 : 10_000,
  ingestPerRequest: 50,
  ingestInFlight: 4,
};

export interface FlowRound {
  /** RSS at the start (after a forced GC, history empty). */
  rssStart: number;
  /** Highest RSS sampled every 10 ms while the events passed, above the start. */
  peakGrowth: number;
  /** RSS after the last event, no GC, above the start. */
  endGrowth: number;
  received: number;
  gaps: number;
}

export interface CrowdRound {
  clients: number;
  rssMedian: number;
  rssMax: number;
  received: number;
}

export interface IngestRound {
  seconds: number;
  received: number;
  failed: number;
}

export interface FlowResults {
  flow: Record<Kind, FlowRound[]>;
  crowd: Record<Kind, CrowdRound[]>;
  ingest: Record<Kind, IngestRound[]>;
}

export const emptyFlowResults = (): FlowResults => ({
  flow: { ours: [], plain: [] },
  crowd: { ours: [], plain: [] },
  ingest: { ours: [], plain: [] },
});

async function withServer<T>(
  setup: ServerSetup,
  run: (handle: Awaited<ReturnType<typeof startServer>>) => Promise<T>,
): Promise<T> {
  const handle = await startServer(setup, `${setup.kind} server`);
  try {
    return await run(handle);
  } finally {
    await closeClients();
    await handle.peer.stop();
  }
}

export function flowRound(kind: Kind): Promise<FlowRound> {
  return withServer({ kind }, async ({ peer, port }) => {
    const readers = clients.slice(0, 2);
    await Promise.all(
      readers.map((c) => c.call({ cmd: 'connect', port, count: 1 })),
    );
    const pace = (total: number) =>
      peer.call<PaceResult>(
        {
          cmd: 'pace',
          rate: FLOW.rate,
          bytes: FLOW.eventBytes,
          maxPerTick: 128,
          total,
        },
        300_000,
      );
    await pace(FLOW.warmupEvents);
    await settle(readers, FLOW.warmupEvents * 2, 1000);
    // One forced GC for a steady start; none during the run.
    await peer.call({ cmd: 'mem' });
    await peer.call({ cmd: 'rss-watch', everyMs: 10 });
    await pace(FLOW.events);
    const total = (FLOW.warmupEvents + FLOW.events) * 2;
    const marks = await settle(readers, total, 1000);
    const samples = await peer.call<number[]>({ cmd: 'rss-samples' });
    const start = samples[0];
    return {
      rssStart: start,
      peakGrowth: Math.max(...samples) - start,
      endGrowth: samples[samples.length - 1] - start,
      received: marks.reduce((n, m) => n + m.events, 0) - FLOW.warmupEvents * 2,
      gaps: marks.reduce((n, m) => n + m.gaps, 0),
    };
  });
}

export function crowdRound(kind: Kind): Promise<CrowdRound> {
  return withServer({ kind }, async ({ peer, port }) => {
    // In waves: a listen backlog takes a few hundred connections at once.
    const wave = 250;
    for (let opened = 0; opened < FLOW.crowdClients;) {
      await Promise.all(
        clients.map((c) => {
          const count = Math.min(wave, FLOW.crowdClients - opened);
          opened += count;
          return count > 0 ? c.call({ cmd: 'connect', port, count }) : null;
        }),
      );
    }
    const paced = peer.call<PaceResult>({
      cmd: 'pace',
      rate: FLOW.crowdRate,
      bytes: S.eventBytes,
      maxPerTick: FLOW.crowdRate,
    });
    await sleep(FLOW.crowdWarmupMs);
    await peer.call({ cmd: 'rss-watch', everyMs: 100 });
    await sleep(FLOW.crowdWindowMs);
    const samples = await peer.call<number[]>({ cmd: 'rss-samples' });
    await peer.call({ cmd: 'stop' });
    await paced;
    const marks = await clientMarks();
    return {
      clients: marks.reduce((n, m) => n + m.connections, 0),
      rssMedian: median(samples),
      rssMax: Math.max(...samples),
      received: marks.reduce((n, m) => n + m.events, 0),
    };
  });
}

export function ingestRound(kind: Kind): Promise<IngestRound> {
  return withServer({ kind, ingest: true }, async ({ port }) => {
    const readers = clients.slice(0, 2);
    await Promise.all(
      readers.map((c) => c.call({ cmd: 'connect', port, count: 1 })),
    );
    const make = eventFactory(FLOW.eventBytes);
    const requests = FLOW.events / FLOW.ingestPerRequest;
    // Distinct bodies, built before the clock starts, reused in turn.
    const bodies = Array.from({ length: 20 }, (_, b) =>
      Buffer.from(
        JSON.stringify(
          Array.from({ length: FLOW.ingestPerRequest }, (_, i) =>
            make(b * FLOW.ingestPerRequest + i + 1),
          ),
        ),
      ),
    );
    const agent = new Agent({
      keepAlive: true,
      maxSockets: FLOW.ingestInFlight,
    });
    let failed = 0;
    let next = 0;
    const post = (body: Buffer): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/events',
            headers: {
              'content-type': 'application/json',
              'content-length': body.length,
            },
          },
          (res) => {
            if (res.statusCode !== 202) failed++;
            res.resume();
            res.once('end', resolve);
          },
        );
        req.once('error', reject);
        req.end(body);
      });
    const lane = async (): Promise<void> => {
      while (next < requests) {
        const i = next++;
        await post(bodies[i % bodies.length]);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: FLOW.ingestInFlight }, lane));
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const marks = await settle(readers, FLOW.events * 2, 1000);
    return {
      seconds,
      received: marks.reduce((n, m) => n + m.events, 0),
      failed,
    };
  });
}

/** The section's rounds, alternating which server goes first. */
export async function flowRounds(
  sections: Set<string>,
  rounds: number,
  progress: (line: string) => void,
): Promise<FlowResults> {
  const results = emptyFlowResults();
  const order = (r: number): Kind[] =>
    r % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
  for (let r = 0; r < rounds && sections.has('flow'); r++) {
    for (const kind of order(r)) {
      const flow = await flowRound(kind);
      results.flow[kind].push(flow);
      progress(
        `flow ${r + 1}/${rounds} ${kind}: peak RSS +${mb(flow.peakGrowth)} (end +${mb(flow.endGrowth)}), received ${int(flow.received)}`,
      );
    }
  }
  for (let r = 0; r < rounds && sections.has('crowd'); r++) {
    for (const kind of order(r)) {
      const crowd = await crowdRound(kind);
      results.crowd[kind].push(crowd);
      progress(
        `crowd ${r + 1}/${rounds} ${kind}: ${int(crowd.clients)} clients, RSS median ${mb(crowd.rssMedian)} max ${mb(crowd.rssMax)}`,
      );
    }
  }
  for (let r = 0; r < rounds && sections.has('ingest'); r++) {
    for (const kind of order(r)) {
      const ingest = await ingestRound(kind);
      results.ingest[kind].push(ingest);
      progress(
        `ingest ${r + 1}/${rounds} ${kind}: ${ingest.seconds.toFixed(2)} s, received ${int(ingest.received)}, failed ${ingest.failed}`,
      );
    }
  }
  return results;
}
