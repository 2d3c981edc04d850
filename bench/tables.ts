/** The two tables the bench prints (fan-out, stall, worker; then Redis). */
import type { Summary } from './figures.js';
import { medianOf, type Throughput } from './measure.js';
import { cores, type Kind } from './processes.js';
import { int, mb, ms, pct, ratio, table } from './report.js';
import { S } from './settings.js';

export function tables(summary: Summary): string {
  const { worker, sat, lat, st, rds, met, ranFanout, ranStall } = summary;
  const f = summary.figures;
  const verdict = (ran: boolean, met: boolean): string =>
    ran ? (met ? 'met' : 'NOT met') : 'not run';
  const pair = (kind: Kind, a: (t: Throughput) => number, b = a) =>
    `${pct(sat(kind, a))} / ${pct(sat(kind, b))}`;
  const both = (
    pick: (kind: Kind) => number,
    format: (n: number) => string,
  ) => [
    format(pick('ours')),
    format(pick('plain')),
    ratio(pick('ours'), pick('plain')),
  ];
  const N = S.clients;

  const main = table([
    ['#', 'figure', 'ours', 'plain Socket.IO', 'ours/plain', 'target', ''],
    [
      '1',
      `deliveries/s, ${N} clients, ${S.eventBytes} B events, saturation`,
      ...both((k) => f.deliveriesPerSec[k], int),
      '≥ 2.0× (aim 3×)',
      verdict(ranFanout, met.deliveries),
    ],
    [
      '',
      `  events published/s (closed loop, batches of ${S.saturationBatch})`,
      int(sat('ours', (t) => t.publishedPerSec)),
      int(sat('plain', (t) => t.publishedPerSec)),
    ],
    [
      '',
      '  gap notices / events dropped in the window',
      `${int(sat('ours', (t) => t.gaps))} / ${int(sat('ours', (t) => t.dropped))}`,
      `${int(sat('plain', (t) => t.gaps))} / –`,
    ],
    [
      '',
      `  CPU: server / ${S.clientProcesses} client processes (${cores} CPUs = ${cores * 100}%)`,
      pair(
        'ours',
        (t) => t.serverCpu,
        (t) => t.clientCpu,
      ),
      pair(
        'plain',
        (t) => t.serverCpu,
        (t) => t.clientCpu,
      ),
    ],
    [
      '',
      '  deliveries/s, batches of 1 (nothing to batch)',
      ...both((k) => f.unbatchedDeliveriesPerSec[k], int),
    ],
    [
      '2',
      `latency p50, ${int(S.latencyRate)} events/s to ${N} clients`,
      ...both((k) => f.latencyP50[k], ms),
    ],
    [
      '',
      'latency p99',
      ...both((k) => f.latencyP99[k], ms),
      '≤ plain',
      verdict(ranFanout, met.latencyP99),
    ],
    [
      '',
      `  server-side fan-out of one event to ${N} clients, p50`,
      ...both((k) => lat(k, (l) => l.fanoutP50), ms),
    ],
    [
      '',
      '  server-side fan-out, p99',
      ...both((k) => lat(k, (l) => l.fanoutP99), ms),
    ],
    [
      '3',
      `server RSS growth, 1 stalled + 1 fast client, ${int(S.stallEvents)} × 1 KB`,
      ...both((k) => f.stallRssGrowth[k], mb),
      '≤ 0.10×',
      verdict(ranStall, met.stallRss),
    ],
    [
      '',
      '  peak RSS growth during the run',
      ...both((k) => st(k, (s) => s.peakGrowth), mb),
    ],
    [
      '',
      '  events the fast client received (fewest in any round)',
      int(f.stallFastReceivedFewest.ours),
      int(f.stallFastReceivedFewest.plain),
      '',
      `all ${int(S.stallEvents)}`,
      verdict(ranStall, met.stallFast),
    ],
    [
      '4',
      'worker → 1 client, events/s (MonitorService relay)',
      int(f.workerEventsPerSec),
      '',
      '',
      '≥ 100,000',
      verdict(worker.length > 0, met.worker),
    ],
    [
      '',
      '  gap notices / events dropped in the window',
      worker.length > 0
        ? `${int(medianOf(worker, (t) => t.gaps))} / ${int(medianOf(worker, (t) => t.dropped))}`
        : '–',
    ],
  ]);

  const cross = table([
    [
      '5',
      `ours across nodes: published on A, ${N} clients on B`,
      'in memory',
      'over Redis',
      'Redis/memory',
    ],
    [
      '',
      `deliveries/s, ${S.eventBytes} B events, saturation`,
      int(f.deliveriesPerSec.ours),
      int(f.redisDeliveriesPerSec),
      ratio(f.redisDeliveriesPerSec, f.deliveriesPerSec.ours),
    ],
    [
      '',
      '  gap notices / events dropped on B in the window',
      `${int(sat('ours', (t) => t.gaps))} / ${int(sat('ours', (t) => t.dropped))}`,
      `${int(rds((r) => r.saturation.gaps))} / ${int(rds((r) => r.saturation.dropped))}`,
    ],
    [
      '',
      '  CPU: node B / node A / redis-server / clients',
      `${pct(sat('ours', (t) => t.serverCpu))} / – / – / ${pct(sat('ours', (t) => t.clientCpu))}`,
      [
        rds((r) => r.saturation.serverCpu),
        rds((r) => r.saturation.publisherCpu),
        rds((r) => r.saturation.redisCpu),
        rds((r) => r.saturation.clientCpu),
      ]
        .map(pct)
        .join(' / '),
    ],
    [
      '',
      `latency p50, ${int(S.latencyRate)} events/s`,
      ms(f.latencyP50.ours),
      ms(f.redisLatencyP50),
      ratio(f.redisLatencyP50, f.latencyP50.ours),
    ],
    [
      '',
      'latency p99',
      ms(f.latencyP99.ours),
      ms(f.redisLatencyP99),
      ratio(f.redisLatencyP99, f.latencyP99.ours),
    ],
  ]);
  return `${main}\n\n${cross}`;
}
