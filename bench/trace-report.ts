/**
 * Reads the timelines bench/trace.ts wrote (LIVEBUS_BENCH_TRACE=<dir>) and
 * says, for each fairness round, where the longest waits went: the
 * server's write slices, publishes and GC pauses inside the wait, when the
 * server saw the request and answered it, and how late the probe read the
 * answer. `node dist/bench/trace-report.js <dir>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeTrace, ServerTrace } from './trace.js';

const GC_KIND: Record<number, string> = {
  1: 'scavenge',
  4: 'mark-compact',
  8: 'incremental',
  16: 'weak-cb',
};

type Span = [start: number, duration: number, extra: number];

function spans(flat: number[]): Span[] {
  const out: Span[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    out.push([flat[i], flat[i + 1], flat[i + 2]]);
  }
  return out;
}

const f1 = (n: number): string => n.toFixed(1);

function within(list: Span[], from: number, to: number): Span[] {
  return list.filter(([s, d]) => s < to && s + d > from);
}

function overlap([s, d]: Span, from: number, to: number): number {
  return Math.max(0, Math.min(s + d, to) - Math.max(s, from));
}

function describeWait(
  what: string,
  wait: Span,
  server: ServerTrace,
  answeredBy: Span[] | null,
): string {
  const [from, waited] = wait;
  const to = from + waited;
  const slices = within(spans(server.slices), from, to);
  const gcs = within(spans(server.gc), from, to);
  const pubs = within(spans(server.publishes), from, to);
  const sum = (list: Span[]): number =>
    list.reduce((n, span) => n + overlap(span, from, to), 0);
  const lines = [
    `  ${what} ${f1(waited)} ms: slices ${slices.length} (${f1(sum(slices))} ms in the wait, longest ${f1(Math.max(0, ...slices.map((s) => s[1])))}), publishes ${pubs.length} (${f1(sum(pubs))} ms, longest ${f1(Math.max(0, ...pubs.map((s) => s[1])))}), GC ${gcs.map((g) => `${GC_KIND[g[2]] ?? g[2]} ${f1(g[1])}`).join(', ') || 'none'} (${f1(sum(gcs))} ms)`,
  ];
  if (answeredBy) {
    const handled = answeredBy.find(([s]) => s >= from - 1 && s <= to);
    if (handled) {
      const [s, d] = handled;
      lines.push(
        `    server saw it ${f1(s - from)} ms after the send, answered in ${f1(d)} ms, probe read the answer ${f1(to - s - d)} ms later`,
      );
    }
  }
  return lines.join('\n');
}

function summary(server: ServerTrace): string {
  const gcs = spans(server.gc);
  const byKind = new Map<string, number[]>();
  for (const [, d, k] of gcs) {
    const name = GC_KIND[k] ?? String(k);
    byKind.set(name, [...(byKind.get(name) ?? []), d]);
  }
  const gcText = [...byKind]
    .map(
      ([name, ds]) =>
        `${name} ×${ds.length} (total ${f1(ds.reduce((a, b) => a + b, 0))}, longest ${f1(Math.max(...ds))}, >5 ms: ${ds.filter((d) => d > 5).length})`,
    )
    .join('; ');
  // A slice's own time: less the GC pauses inside it.
  const slices = spans(server.slices).map(
    (slice) =>
      slice[1] -
      within(gcs, slice[0], slice[0] + slice[1]).reduce(
        (n, gc) => n + overlap(gc, slice[0], slice[0] + slice[1]),
        0,
      ),
  );
  slices.sort((a, b) => a - b);
  const wallOverCpu = spans(server.slices)
    .filter((slice) => slice[1] > 8)
    .map((slice) => `${f1(slice[1])}/${f1(slice[2])}`)
    .slice(0, 12);
  const pct = (p: number): number =>
    slices[Math.min(slices.length - 1, Math.floor(p * slices.length))] ?? 0;
  const pubs = spans(server.publishes).map((s) => s[1]);
  const http = spans(server.http).map((s) => s[1]);
  return [
    `  GC: ${gcText}`,
    `  slices ×${slices.length} less GC in them: p50 ${f1(pct(0.5))}, p99 ${f1(pct(0.99))}, longest ${f1(slices[slices.length - 1] ?? 0)} ms`,
    `  slices over 8 ms, wall/CPU ms: ${wallOverCpu.join(' ')}`,
    `  publishes ×${pubs.length}: longest ${f1(Math.max(0, ...pubs))} ms; GET handling ×${http.length}: longest ${f1(Math.max(0, ...http))} ms`,
  ].join('\n');
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const dir = process.argv[2] ?? '.';
const files = readdirSync(dir).sort(
  (a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')),
);
const read = <T>(name: string): T =>
  JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
let server: { name: string; trace: ServerTrace } | null = null;
for (const name of files) {
  if (name.startsWith('server-')) {
    server = { name, trace: read<ServerTrace>(name) };
    continue;
  }
  if (!name.startsWith('probe-') || server === null) continue;
  const probe = read<ProbeTrace>(name);
  const longest = (list: number[]): Span[] =>
    spans(list)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
  print(
    `${server.name} (probe's own longest loop delay ${f1(probe.loopDelayMaxMs)} ms)`,
  );
  print(summary(server.trace));
  const http = spans(server.trace.http);
  for (const wait of longest(probe.get)) {
    print(describeWait('GET', wait, server.trace, http));
  }
  for (const wait of longest(probe.ack)) {
    print(describeWait('ack', wait, server.trace, null));
  }
  server = null;
}
