/**
 * The order of the rounds: a warm-up per server, then the measured rounds of
 * each section asked for (--only), alternating which server goes first.
 */
import { trackChild } from './ipc.js';
import type { Throughput } from './measure.js';
import type { Kind } from './processes.js';
import { int, mb, ms, pct } from './report.js';
import { only, progress, S } from './settings.js';
import { fanoutRound, warmUp, type FanoutRound } from './scenarios/fanout.js';
import { redisRound, type RedisRound } from './scenarios/redis.js';
import { stallRound, type StallRound } from './scenarios/stall.js';
import { workerRound } from './scenarios/worker.js';
import {
  guardedSaturationRound,
  saturationRound,
} from './scenarios/metrics.js';
import { metricsCostRounds, type MetricsCost } from './metrics-cost.js';

import { guardCostRounds, type GuardCost } from './guard-cost.js';
import { idleRounds, type IdleResults } from './scenarios/idle.js';
import { wideRounds, type WideResults } from './wide.js';
import {
  emptyFlowResults,
  flowRounds,
  type FlowResults,
} from './scenarios/flow.js';
import { RedisServer } from '../test/support/redis-server.js';

export interface Results {
  fanout: Record<Kind, FanoutRound[]>;
  stall: Record<Kind, StallRound[]>;
  worker: Throughput[];
  redis: RedisRound[];
  metrics: MetricsCost;
  guards: GuardCost;
  idle?: IdleResults;
  wide: WideResults;
  flow: FlowResults;
}

export async function runRounds(): Promise<Results> {
  const results: Results = {
    fanout: { ours: [], plain: [] },
    stall: { ours: [], plain: [] },
    worker: [],
    redis: [],
    metrics: { off: [], on: [] },
    guards: { open: [], guarded: [] },
    wide: { ours: [], plain: [] },
    flow: emptyFlowResults(),
  };
  const alternate = (r: number): Kind[] =>
    r % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
  if (only.has('sat')) {
    for (const kind of alternate(0)) await warmUp(kind);
    for (let r = 0; r < S.fanoutRounds; r++) {
      for (const kind of alternate(r)) {
        const round = await fanoutRound(kind);
        results.fanout[kind].push(round);
        const { saturation: sat, latency: lat } = round;
        progress(
          `fan-out ${r + 1}/${S.fanoutRounds} ${kind}: ${int(sat.deliveriesPerSec)} deliveries/s (CPU server ${pct(sat.serverCpu)}, clients ${pct(sat.clientCpu)}), latency p50 ${ms(lat.p50)} p99 ${ms(lat.p99)}`,
        );
      }
    }
  }
  if (only.has('stall')) {
    for (let r = 0; r < S.otherRounds; r++) {
      for (const kind of alternate(r)) {
        const round = await stallRound(kind);
        results.stall[kind].push(round);
        progress(
          `stall ${r + 1}/${S.otherRounds} ${kind}: RSS +${mb(round.growth)} (peak +${mb(round.peakGrowth)}), fast client ${int(round.fastReceived)}`,
        );
      }
    }
  }
  if (only.has('worker')) {
    for (let r = 0; r < S.otherRounds; r++) {
      const round = await workerRound();
      results.worker.push(round);
      progress(
        `worker ${r + 1}/${S.otherRounds}: ${int(round.deliveriesPerSec)} events/s to the client (CPU ${pct(round.serverCpu)})`,
      );
    }
  }
  if (only.has('redis')) {
    const redis = await RedisServer.start();
    trackChild(redis.process!);
    try {
      for (let r = 0; r < S.otherRounds; r++) {
        const round = await redisRound(redis.url, redis.process?.pid ?? 0);
        results.redis.push(round);
        progress(
          `redis ${r + 1}/${S.otherRounds}: ${int(round.saturation.deliveriesPerSec)} deliveries/s on B, latency p99 ${ms(round.latency.p99)}`,
        );
      }
    } finally {
      await redis.kill();
    }
  }
  if (only.has('metrics')) {
    results.metrics = await metricsCostRounds(
      S.fanoutRounds,
      saturationRound,
      progress,
    );
  }
  if (only.has('guards')) {
    results.guards = await guardCostRounds(
      S.fanoutRounds,
      guardedSaturationRound,
      progress,
    );
  }
  if (only.has('idle') || only.has('connect') || only.has('storm')) {
    results.idle = await idleRounds(only);
  }
  if (only.has('wide')) {
    results.wide = await wideRounds(S.otherRounds, progress);
  }
  if (['flow', 'crowd', 'ingest'].some((section) => only.has(section))) {
    results.flow = await flowRounds(only, S.otherRounds, progress);
  }
  return results;
}
