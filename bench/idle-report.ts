/**
 * The idle, connect, storm and baseline rows (scenarios/idle.ts): their
 * medians, targets (issue 13) and the table printed after the others.
 */
import { median, medianOf } from './measure.js';
import type { Kind } from './processes.js';
import { int, mb, ms, ratio, table } from './report.js';
import {
  CONNECT_SIZE,
  STORM_CLIENTS,
  type IdleResults,
} from './scenarios/idle.js';

/** The baseline may be at most this far above an empty Nest app's RSS. */
export const BASELINE_ALLOWANCE = 20 * 1024 * 1024;
/** RSS per idle connection at 10,000 connections. */
export const RSS_PER_CONNECTION_TARGET = 12 * 1024;

export function idleFigures(results: IdleResults) {
  const at = (kind: Kind, n: number) =>
    results.idle[kind].filter((r) => r.connections === n);
  const sizes = [...new Set(results.idle.ours.map((r) => r.connections))];
  const perSize = sizes.map((connections) => {
    const pick = (kind: Kind, f: 'heapPerConnection' | 'rssPerConnection') =>
      medianOf(at(kind, connections), (r) => r[f]);
    return {
      connections,
      heap: {
        ours: pick('ours', 'heapPerConnection'),
        plain: pick('plain', 'heapPerConnection'),
      },
      rss: {
        ours: pick('ours', 'rssPerConnection'),
        plain: pick('plain', 'rssPerConnection'),
      },
    };
  });
  const connect = {
    ours: medianOf(at('ours', CONNECT_SIZE), (r) => r.connectMs),
    plain: medianOf(at('plain', CONNECT_SIZE), (r) => r.connectMs),
  };
  const connectCpu = {
    ours: medianOf(at('ours', CONNECT_SIZE), (r) => r.cpuMsPerConnection),
    plain: medianOf(at('plain', CONNECT_SIZE), (r) => r.cpuMsPerConnection),
  };
  const storm = (kind: Kind) => ({
    liveAgainMs: medianOf(results.storm[kind], (r) => r.liveAgainMs),
    silentlyLost: Math.max(
      0,
      ...results.storm[kind].map((r) => r.silentlyLost),
    ),
    missedWithGap: medianOf(results.storm[kind], (r) => r.missedWithGap),
    resets: medianOf(results.storm[kind], (r) => r.resets),
  });
  const baseline = {
    plain: median(results.baseline.plain),
    nest: median(results.baseline.nest),
    ours: median(results.baseline.ours),
    demo: median(results.baseline.demo),
  };
  const top = perSize.find((s) => s.connections === 10_000);
  const targets = {
    idleHeap: {
      met:
        perSize.length > 0 && perSize.every((s) => s.heap.ours <= s.heap.plain),
    },
    idleRss: {
      perConnection: top?.rss.ours ?? NaN,
      met: top !== undefined && top.rss.ours <= RSS_PER_CONNECTION_TARGET,
    },
    baseline: {
      aboveNest: baseline.ours - baseline.nest,
      met: baseline.ours - baseline.nest <= BASELINE_ALLOWANCE,
    },
    connect: {
      ratio: connect.ours / connect.plain,
      met: connect.ours <= connect.plain,
    },
    storm: {
      ratio: storm('ours').liveAgainMs / storm('plain').liveAgainMs,
      met:
        storm('ours').liveAgainMs <= storm('plain').liveAgainMs &&
        storm('ours').silentlyLost === 0,
    },
  };
  return {
    perSize,
    connect,
    connectCpu,
    storm: { ours: storm('ours'), plain: storm('plain') },
    baseline,
    targets,
  };
}

export function idleReport(results: IdleResults): string {
  const ran =
    results.idle.ours.length +
    results.storm.ours.length +
    results.baseline.ours.length;
  if (ran === 0) return '';
  const f = idleFigures(results);
  const kb = (n: number) =>
    Number.isFinite(n) ? `${(n / 1024).toFixed(1)} KB` : '–';
  const verdict = (ran: boolean, met: boolean) =>
    ran ? (met ? 'met' : 'NOT met') : 'not run';
  const rows: string[][] = [
    [
      '#',
      'idle, connect, storm',
      'ours',
      'plain Socket.IO',
      'ours/plain',
      'target',
      '',
    ],
  ];
  for (const s of f.perSize) {
    rows.push(
      [
        '6',
        `heap per idle connection, ${int(s.connections)} connections (full GC)`,
        kb(s.heap.ours),
        kb(s.heap.plain),
        ratio(s.heap.ours, s.heap.plain),
        '≤ plain',
        verdict(true, s.heap.ours <= s.heap.plain),
      ],
      [
        '',
        `  RSS per idle connection, ${int(s.connections)}`,
        kb(s.rss.ours),
        kb(s.rss.plain),
        ratio(s.rss.ours, s.rss.plain),
        s.connections === 10_000 ? '≤ 12 KB' : '',
        s.connections === 10_000 ? verdict(true, f.targets.idleRss.met) : '',
      ],
    );
  }
  const connectRan = Number.isFinite(f.connect.ours);
  rows.push([
    '7',
    `time until ${int(CONNECT_SIZE)} clients are live (128 handshakes in flight per load process)`,
    ms(f.connect.ours),
    ms(f.connect.plain),
    ratio(f.connect.ours, f.connect.plain),
    '≤ plain',
    verdict(connectRan, f.targets.connect.met),
  ]);
  rows.push([
    '',
    '  server CPU per connection while they connect',
    ms(f.connectCpu.ours),
    ms(f.connectCpu.plain),
    ratio(f.connectCpu.ours, f.connectCpu.plain),
  ]);
  const stormRan = results.storm.ours.length > 0;
  rows.push(
    [
      '8',
      `${int(STORM_CLIENTS)} clients dropped at once: all live again`,
      ms(f.storm.ours.liveAgainMs),
      ms(f.storm.plain.liveAgainMs),
      ratio(f.storm.ours.liveAgainMs, f.storm.plain.liveAgainMs),
      '≤ plain, 0 lost',
      verdict(stormRan, f.targets.storm.met),
    ],
    [
      '',
      '  events lost silently (most in a round) / told by gap / resets',
      `${int(f.storm.ours.silentlyLost)} / ${int(f.storm.ours.missedWithGap)} / ${int(f.storm.ours.resets)}`,
      `${int(f.storm.plain.silentlyLost)} / – / –`,
    ],
  );
  const b = f.baseline;
  const baseRan = results.baseline.ours.length > 0;
  rows.push(
    [
      '9',
      'RSS before any client: ours (default options) / empty Nest app + IoAdapter',
      `${mb(b.ours)} / ${mb(b.nest)}`,
      mb(b.plain),
      `+${mb(b.ours - b.nest)} over Nest`,
      '≤ +20 MB',
      verdict(baseRan, f.targets.baseline.met),
    ],
    [
      '',
      '  the demo (worker, metrics, inspector, ingest, terminus)',
      mb(b.demo),
      '',
      `+${mb(b.demo - b.ours)} over ours`,
    ],
  );
  return `\n${table(rows)}`;
}
