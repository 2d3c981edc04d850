/** What run.ts and its child processes say to each other over IPC. */
import type { EventBusModuleOptions } from '../src/index.js';

/** How a server process is set up (its first argument, as JSON). */
export interface ServerSetup {
  kind: 'ours' | 'plain';
  /** Ours only: module options beside the defaults (JSON-able ones). */
  options?: Partial<
    Pick<EventBusModuleOptions, 'historyMaxEvents' | 'queueCapacity'>
  >;
  /** Ours only: the Redis transport at this URL instead of memory. */
  redisUrl?: string;
  /** Ours only: run the bench publisher worker under MonitorService. */
  worker?: { bytes: number };
  /** Ours only: Prometheus metrics on (a registry of its own), scraped every second. */
  metrics?: boolean;
  /** Ours only: behind `auth` (a guard, `authenticate`, `canRead`): see bench/guard-cost.ts. */
  guarded?: boolean;
  /** `POST /api/events`: ours its ingest route (no rate limits), plain a bare JSON route emitting each event. */
  ingest?: boolean;
}

export type ServerCommand =
  /** Closed-loop generator (see run.ts) until `stop`. */
  | { cmd: 'saturate'; batch: number; bytes: number }
  /** Closed loop on another node's progress (Redis), until `stop`. */
  | { cmd: 'window'; batch: number; bytes: number; window: number }
  /** Open loop at `rate` events/s until `total` events (answers then) or `stop`. */
  | {
      cmd: 'pace';
      rate: number;
      bytes: number;
      maxPerTick: number;
      total?: number;
      /** Time each lone event's fan-out in the server from then on (ms after start). */
      fanoutAfterMs?: number;
    }
  /** Lets the publisher worker run, until `stop`. */
  | { cmd: 'worker' }
  /** Events the other node has delivered since its `report-progress`. */
  | { cmd: 'progress'; delivered: number }
  /** Starts/stops sending `progress` events (events delivered here). */
  | { cmd: 'report-progress'; on: boolean }
  | { cmd: 'stop' }
  | { cmd: 'mark' }
  /** Starts (`on`) or stops watching the event loop's delay and GC pauses; stopping answers {@link LoopResult}. */
  | { cmd: 'loop'; on: boolean }
  /** Forces a GC, then reports memory (and restarts the peak RSS sampling). */
  | { cmd: 'mem' }
  /** Samples RSS every `everyMs` (no forced GC) until `rss-samples`. */
  | { cmd: 'rss-watch'; everyMs: number }
  /** Stops the `rss-watch` sampling and answers its samples (bytes). */
  | { cmd: 'rss-samples' }
  /** Forces a GC, then writes a heap snapshot to `path` (heap-breakdown.ts). */
  | { cmd: 'heap-snapshot'; path: string }
  | { cmd: 'exit' };

export interface PaceResult {
  published: number;
  ms: number;
  /** Fan-out times (ms) of lone events, with `fanoutAfterMs`. */
  fanout: Float64Array;
}

/** How long the server's event loop was held, at most, while watched (ms). */
export interface LoopResult {
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  longestGcMs: number;
}

export interface ServerMark {
  at: number;
  cpu: NodeJS.CpuUsage;
  published: number;
  dropped: number;
  lastSeq: number;
  clients: number;
}

export interface ServerMemory {
  rss: number;
  /** The highest RSS since the previous `mem` (sampled every 10 ms), or now. */
  peakRss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Physical size of each V8 heap space. */
  spaces: Record<string, number>;
}

export type ClientCommand =
  /** Opens `count` connections (stalled ones stop reading on `stall`). */
  | {
      cmd: 'connect';
      port: number;
      count: number;
      checkOrder?: boolean;
      /** The handshake's `auth` (sent in the namespace CONNECT packet). */
      auth?: Record<string, unknown>;
    }
  | { cmd: 'stall' }
  /** Starts (`on`) or stops the responsiveness probe (bench/probe.ts); stopping answers {@link ProbeResult}. */
  | { cmd: 'probe'; on: boolean; port: number }
  | { cmd: 'mark' }
  | { cmd: 'latency'; on: boolean }
  | { cmd: 'close' }
  | { cmd: 'exit' };

export interface ClientMark {
  at: number;
  cpu: NodeJS.CpuUsage;
  /** `tick` events received, over all connections. */
  events: number;
  /** The fewest any one connection received. */
  minEvents: number;
  gaps: number;
  missed: number;
  /** Events whose `n` was not the previous one + 1 (with `checkOrder`). */
  outOfOrder: number;
  snapshots: number;
  connections: number;
}

/** The longest waits the probe saw, in ms, and how many it measured. */
export interface ProbeResult {
  httpMaxMs: number;
  httpCount: number;
  ackMaxMs: number;
  ackCount: number;
}

/** Publish-to-receive latencies (ms) recorded between `latency on` and `off`. */
export interface LatencySamples {
  samples: Float64Array;
}

// The shared control block of the publisher worker (Int32 slots).
export const CONTROL_RUN = 0;
export const CONTROL_SLOTS = 1;
export const RUN_IDLE = 0;
export const RUN_GO = 1;
export const RUN_EXIT = 2;

export interface PublisherWorkerData {
  control: SharedArrayBuffer;
  bytes: number;
}
