/** The flow and ingest rows (issue 13), printed after the main tables. */
import { median } from './measure.js';
import { int, mb, ratio, table, times } from './report.js';
import { FLOW, type FlowResults } from './scenarios/flow.js';

/** The section's rows: ours, plain, ratio, target. */
export function flowReport(r: FlowResults): string {
  const m = <T>(rounds: T[], pick: (x: T) => number) =>
    median(rounds.map(pick));
  const rows: string[][] = [];
  const row = (
    name: string,
    ours: number,
    plain: number,
    fmt: (n: number) => string,
    target: string,
    met: boolean | null,
    note = '',
  ) =>
    rows.push([
      name,
      fmt(ours),
      fmt(plain),
      ratio(ours, plain),
      target,
      met === null ? '' : met ? 'met' : 'NOT met',
      note,
    ]);
  if (r.flow.ours.length > 0 && r.flow.plain.length > 0) {
    const o = m(r.flow.ours, (x) => x.peakGrowth);
    row(
      `flow memory: peak RSS growth, ${int(FLOW.events)} × 1 KB to 2 readers (no forced GC)`,
      o,
      m(r.flow.plain, (x) => x.peakGrowth),
      mb,
      '≤ 32 MB',
      o <= 32 * 1024 * 1024,
    );
    row(
      '  RSS growth at the end',
      m(r.flow.ours, (x) => x.endGrowth),
      m(r.flow.plain, (x) => x.endGrowth),
      mb,
      '',
      null,
    );
    row(
      '  events received by the 2 readers',
      m(r.flow.ours, (x) => x.received),
      m(r.flow.plain, (x) => x.received),
      int,
      `all ${int(FLOW.events * 2)}`,
      null,
    );
  }
  if (r.crowd.ours.length > 0 && r.crowd.plain.length > 0) {
    const o = m(r.crowd.ours, (x) => x.rssMedian);
    const p = m(r.crowd.plain, (x) => x.rssMedian);
    row(
      `RSS, ${int(FLOW.crowdClients)} clients at ${FLOW.crowdRate} events/s, median (no forced GC)`,
      o,
      p,
      mb,
      '≤ 1.5×',
      o <= 1.5 * p,
    );
    row(
      '  max',
      m(r.crowd.ours, (x) => x.rssMax),
      m(r.crowd.plain, (x) => x.rssMax),
      mb,
      '',
      null,
    );
    row(
      '  clients connected',
      m(r.crowd.ours, (x) => x.clients),
      m(r.crowd.plain, (x) => x.clients),
      int,
      '',
      null,
    );
  }
  if (r.ingest.ours.length > 0 && r.ingest.plain.length > 0) {
    const o = m(r.ingest.ours, (x) => x.seconds);
    const p = m(r.ingest.plain, (x) => x.seconds);
    rows.push([
      `ingest: ${int(FLOW.events)} × 1 KB, ${FLOW.ingestPerRequest} per POST, wall time`,
      `${o.toFixed(2)} s`,
      `${p.toFixed(2)} s`,
      `${times(p / o)} speed`,
      '≥ 1.0× speed',
      p / o >= 1 ? 'met' : 'NOT met',
      '',
    ]);
    row(
      '  events received by the 2 readers',
      m(r.ingest.ours, (x) => x.received),
      m(r.ingest.plain, (x) => x.received),
      int,
      '',
      null,
    );
  }
  if (rows.length === 0) return '';
  return table([
    [
      'flow and ingest (issue 13)',
      'ours',
      'plain Socket.IO',
      'ours/plain',
      'target',
      '',
      '',
    ],
    ...rows,
  ]);
}
