/** What a round measures, computed from the marks the processes report. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ClientMark, ServerMark } from './protocol.js';

export interface Throughput {
  /** `tick` events the clients received per second (gap notices not counted). */
  deliveriesPerSec: number;
  publishedPerSec: number;
  /** Deliveries ÷ (published × clients) in the window: ~1 when nothing piles up or drops. */
  deliveredShare: number;
  gaps: number;
  missed: number;
  /** Events our per-client queues dropped (0 for plain Socket.IO, which never drops). */
  dropped: number;
  /** CPU of the server process (all threads), % of one core. */
  serverCpu: number;
  /** CPU of the publishing process when it is another one (Redis: node A). */
  publisherCpu: number;
  /** CPU of redis-server (Redis rounds). */
  redisCpu: number;
  /** CPU of all load-client processes together. */
  clientCpu: number;
}

export interface Latency {
  /** Publish to receipt in the client processes, over all clients (ms). */
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** The server's own time to hand one event to every client (ms; in memory only). */
  fanoutP50: number;
  fanoutP99: number;
}

function cpuPercent(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage, ms: number) {
  return (b.user - a.user + (b.system - a.system)) / 10 / ms;
}

/**
 * The window between two sets of marks: `s` of the server the clients are
 * on, `p` of the process that publishes (the same one in memory).
 */
export function throughput(
  s: [ServerMark, ServerMark],
  p: [ServerMark, ServerMark],
  c0: ClientMark[],
  c1: ClientMark[],
  clientCount: number,
): Throughput {
  let deliveriesPerSec = 0;
  let delivered = 0;
  let gaps = 0;
  let missed = 0;
  let clientCpu = 0;
  for (let i = 0; i < c0.length; i++) {
    const ms = c1[i].at - c0[i].at;
    const events = c1[i].events - c0[i].events;
    delivered += events;
    deliveriesPerSec += (events * 1000) / ms;
    gaps += c1[i].gaps - c0[i].gaps;
    missed += c1[i].missed - c0[i].missed;
    clientCpu += cpuPercent(c0[i].cpu, c1[i].cpu, ms);
  }
  const published = p[1].published - p[0].published;
  return {
    deliveriesPerSec,
    publishedPerSec: (published * 1000) / (p[1].at - p[0].at),
    deliveredShare: published > 0 ? delivered / (published * clientCount) : 0,
    gaps,
    missed,
    dropped: s[1].dropped - s[0].dropped,
    serverCpu: cpuPercent(s[0].cpu, s[1].cpu, s[1].at - s[0].at),
    publisherCpu: cpuPercent(p[0].cpu, p[1].cpu, p[1].at - p[0].at),
    redisCpu: NaN,
    clientCpu,
  };
}

export function percentiles(parts: Float64Array[]): {
  p50: number;
  p99: number;
  max: number;
  count: number;
} {
  const count = parts.reduce((n, part) => n + part.length, 0);
  const all = new Float64Array(count);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  const pick = (q: number): number =>
    count === 0 ? NaN : all[Math.min(count - 1, Math.floor(q * count))];
  return { p50: pick(0.5), p99: pick(0.99), max: pick(1), count };
}

const CLOCK_TICKS =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time (user + system) of another process in ms, from /proc; NaN elsewhere. */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces) follow ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function medianOf<T>(rounds: T[], pick: (round: T) => number): number {
  return median(rounds.map(pick));
}
