/**
 * What a run measured: the median of each figure over the rounds, and
 * whether each target was met. run.ts writes these to the results file;
 * tables.ts prints them.
 */
import { medianOf, type Latency, type Throughput } from './measure.js';
import type { Kind } from './processes.js';
import type { Results } from './rounds.js';
import type { RedisRound } from './scenarios/redis.js';
import type { StallRound } from './scenarios/stall.js';
import { S } from './settings.js';

export function summarise(results: Results) {
  const { fanout, stall, worker, redis } = results;
  const sat = (kind: Kind, pick: (t: Throughput) => number) =>
    medianOf(fanout[kind], (r) => pick(r.saturation));
  const unb = (kind: Kind) =>
    medianOf(fanout[kind], (r) => r.unbatched.deliveriesPerSec);
  const lat = (kind: Kind, pick: (l: Latency) => number) =>
    medianOf(fanout[kind], (r) => pick(r.latency));
  const st = (kind: Kind, pick: (s: StallRound) => number) =>
    medianOf(stall[kind], pick);
  const fewestFast = (kind: Kind) =>
    stall[kind].length > 0
      ? Math.min(...stall[kind].map((s) => s.fastReceived))
      : NaN;
  const rds = (pick: (r: RedisRound) => number) => medianOf(redis, pick);

  const figures = {
    deliveriesPerSec: {
      ours: sat('ours', (t) => t.deliveriesPerSec),
      plain: sat('plain', (t) => t.deliveriesPerSec),
    },
    unbatchedDeliveriesPerSec: { ours: unb('ours'), plain: unb('plain') },
    latencyP50: {
      ours: lat('ours', (l) => l.p50),
      plain: lat('plain', (l) => l.p50),
    },
    latencyP99: {
      ours: lat('ours', (l) => l.p99),
      plain: lat('plain', (l) => l.p99),
    },
    stallRssGrowth: {
      ours: st('ours', (s) => s.growth),
      plain: st('plain', (s) => s.growth),
    },
    stallFastReceivedFewest: {
      ours: fewestFast('ours'),
      plain: fewestFast('plain'),
    },
    workerEventsPerSec: medianOf(worker, (t) => t.deliveriesPerSec),
    redisDeliveriesPerSec: rds((r) => r.saturation.deliveriesPerSec),
    redisLatencyP50: rds((r) => r.latency.p50),
    redisLatencyP99: rds((r) => r.latency.p99),
  };
  const f = figures;
  const met = {
    deliveries: f.deliveriesPerSec.ours >= 2 * f.deliveriesPerSec.plain,
    latencyP99: f.latencyP99.ours <= f.latencyP99.plain,
    stallRss: f.stallRssGrowth.ours <= f.stallRssGrowth.plain / 10,
    stallFast: f.stallFastReceivedFewest.ours === S.stallEvents,
    worker: f.workerEventsPerSec >= 100_000,
  };
  const ranFanout = fanout.ours.length > 0 && fanout.plain.length > 0;
  const ranStall = stall.ours.length > 0 && stall.plain.length > 0;
  const targets = {
    deliveries: {
      ratio: f.deliveriesPerSec.ours / f.deliveriesPerSec.plain,
      met: met.deliveries,
    },
    latencyP99: {
      ratio: f.latencyP99.ours / f.latencyP99.plain,
      met: met.latencyP99,
    },
    stall: {
      ratio: f.stallRssGrowth.ours / f.stallRssGrowth.plain,
      met: met.stallRss && met.stallFast,
    },
    worker: { met: met.worker },
  };
  return {
    worker,
    sat,
    lat,
    st,
    rds,
    figures,
    met,
    ranFanout,
    ranStall,
    targets,
  };
}

export type Summary = ReturnType<typeof summarise>;
