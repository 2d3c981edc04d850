/**
 * What the Prometheus metrics cost (`--only metrics`, part of the default
 * run): the same closed-loop saturation as figure 1 (our server, 100
 * clients, 200-byte events), with metrics off and on (a registry of its
 * own, scraped every second as Prometheus would), in alternating rounds of
 * one run. The target: delivered events/s with metrics at most 5% below
 * without.
 */
import { medianOf, type Throughput } from './measure.js';
import { int, pct, table } from './report.js';

/** The rounds of the metrics scenario. */
export interface MetricsCost {
  off: Throughput[];
  on: Throughput[];
}

/** Most the metrics may cost, as a share of delivered events/s. */
export const METRICS_COST_TARGET = 0.05;

/**
 * Runs `rounds` pairs, alternating which goes first; `saturate(metrics)`
 * starts a fresh server, measures and stops it.
 */
export async function metricsCostRounds(
  rounds: number,
  saturate: (metrics: boolean) => Promise<Throughput>,
  progress: (line: string) => void,
): Promise<MetricsCost> {
  const cost: MetricsCost = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    for (const metrics of r % 2 === 0 ? [false, true] : [true, false]) {
      const result = await saturate(metrics);
      (metrics ? cost.on : cost.off).push(result);
      progress(
        `metrics ${r + 1}/${rounds} ${metrics ? 'on' : 'off'}: ${int(result.deliveriesPerSec)} deliveries/s (CPU server ${pct(result.serverCpu)})`,
      );
    }
  }
  return cost;
}

/** Server CPU time per 1,000 deliveries, in ms (robust when the clients, not the server, limit the rate). */
const cpuPerThousand = (t: Throughput): number =>
  (t.serverCpu * 10) / (t.deliveriesPerSec / 1000);

/** The medians, the cost, and whether it is within the target. */
export function metricsCostFigures(cost: MetricsCost) {
  const off = medianOf(cost.off, (t) => t.deliveriesPerSec);
  const on = medianOf(cost.on, (t) => t.deliveriesPerSec);
  const cpuOff = medianOf(cost.off, cpuPerThousand);
  const cpuOn = medianOf(cost.on, cpuPerThousand);
  return {
    cpuMsPerThousandOff: cpuOff,
    cpuMsPerThousandOn: cpuOn,
    cpuCost: cpuOn / cpuOff - 1,
    deliveriesPerSecOff: off,
    deliveriesPerSecOn: on,
    serverCpuOff: medianOf(cost.off, (t) => t.serverCpu),
    serverCpuOn: medianOf(cost.on, (t) => t.serverCpu),
    cost: 1 - on / off,
    met: 1 - on / off <= METRICS_COST_TARGET,
  };
}

/** The scenario's table. */
export function metricsCostReport(cost: MetricsCost): string {
  if (cost.off.length === 0 || cost.on.length === 0) return '';
  const f = metricsCostFigures(cost);
  return [
    '',
    `metrics cost (ours, saturation as in 1, median of ${cost.off.length} rounds each, alternating)`,
    table([
      ['', 'metrics off', 'metrics on', 'cost', 'target', ''],
      [
        'deliveries/s',
        int(f.deliveriesPerSecOff),
        int(f.deliveriesPerSecOn),
        `${(f.cost * 100).toFixed(1)}%`,
        `< ${METRICS_COST_TARGET * 100}%`,
        f.met ? 'met' : 'NOT met',
      ],
      ['server CPU', pct(f.serverCpuOff), pct(f.serverCpuOn)],
      [
        'server CPU per 1,000 deliveries',
        `${f.cpuMsPerThousandOff.toFixed(3)} ms`,
        `${f.cpuMsPerThousandOn.toFixed(3)} ms`,
        `${(f.cpuCost * 100).toFixed(1)}%`,
      ],
    ]),
  ].join('\n');
}
