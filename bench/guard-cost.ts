/**
 * What access control costs per delivered event (`--only guards`, part of
 * the default run): the same closed-loop saturation as figure 1 (our
 * server, 100 clients, 200-byte events) on an open server and on one behind
 * `auth` (a guard and `authenticate` per connection, `canRead` once per
 * type and connection), in alternating rounds of one run. Guards run per
 * connection and per request, never per event: the target is no
 * measurable difference (within the noise of a round, 5%).
 */
import { medianOf, type Throughput } from './measure.js';
import { int, pct, table } from './report.js';

/** The rounds of the guards scenario. */
export interface GuardCost {
  open: Throughput[];
  guarded: Throughput[];
}

/** Most the guards may cost, as a share of delivered events/s. */
export const GUARD_COST_TARGET = 0.05;

/** Runs `rounds` pairs, alternating which goes first. */
export async function guardCostRounds(
  rounds: number,
  saturate: (guarded: boolean) => Promise<Throughput>,
  progress: (line: string) => void,
): Promise<GuardCost> {
  const cost: GuardCost = { open: [], guarded: [] };
  for (let r = 0; r < rounds; r++) {
    for (const guarded of r % 2 === 0 ? [false, true] : [true, false]) {
      const result = await saturate(guarded);
      (guarded ? cost.guarded : cost.open).push(result);
      progress(
        `guards ${r + 1}/${rounds} ${guarded ? 'guarded' : 'open'}: ${int(result.deliveriesPerSec)} deliveries/s (CPU server ${pct(result.serverCpu)})`,
      );
    }
  }
  return cost;
}

/** Server CPU time per 1,000 deliveries, in ms. */
const cpuPerThousand = (t: Throughput): number =>
  (t.serverCpu * 10) / (t.deliveriesPerSec / 1000);

/** The medians, the ratio, and whether it is within the target. */
export function guardCostFigures(cost: GuardCost) {
  const open = medianOf(cost.open, (t) => t.deliveriesPerSec);
  const guarded = medianOf(cost.guarded, (t) => t.deliveriesPerSec);
  const cpuOpen = medianOf(cost.open, cpuPerThousand);
  const cpuGuarded = medianOf(cost.guarded, cpuPerThousand);
  return {
    deliveriesPerSecOpen: open,
    deliveriesPerSecGuarded: guarded,
    ratio: guarded / open,
    cpuMsPerThousandOpen: cpuOpen,
    cpuMsPerThousandGuarded: cpuGuarded,
    cpuCost: cpuGuarded / cpuOpen - 1,
    met: 1 - guarded / open <= GUARD_COST_TARGET,
  };
}

/** The scenario's table. */
export function guardCostReport(cost: GuardCost): string {
  if (cost.open.length === 0 || cost.guarded.length === 0) return '';
  const f = guardCostFigures(cost);
  return [
    '',
    `guards cost (ours, saturation as in 1, median of ${cost.open.length} rounds each, alternating)`,
    table([
      ['', 'open', 'guarded', 'guarded / open', 'target', ''],
      [
        'deliveries/s',
        int(f.deliveriesPerSecOpen),
        int(f.deliveriesPerSecGuarded),
        f.ratio.toFixed(3),
        `> ${(1 - GUARD_COST_TARGET).toFixed(2)}`,
        f.met ? 'met' : 'NOT met',
      ],
      [
        'server CPU per 1,000 deliveries',
        `${f.cpuMsPerThousandOpen.toFixed(3)} ms`,
        `${f.cpuMsPerThousandGuarded.toFixed(3)} ms`,
        `${(f.cpuCost * 100).toFixed(1)}%`,
      ],
    ]),
  ].join('\n');
}
