import type { Envelope } from '../core/envelope.js';
import type { ResumePlan } from '../core/livebus-core.js';
import {
  LatencyHistogram,
  type HistogramSnapshot,
} from '../core/latency-histogram.js';
import { CLOSE_CODES, type CloseCode } from '../protocol/codes.js';
import type { Gap } from '../protocol/messages.js';
import {
  CLIENT_KINDS,
  type ClientKind,
  type DeliveryObserver,
  type DisconnectReason,
  type ObservedSession,
} from './delivery-observer.js';

const CODES = Object.keys(CLOSE_CODES) as CloseCode[];
/** Every {@link DisconnectReason}. */
export const DISCONNECT_REASONS: readonly DisconnectReason[] = [
  ...CODES,
  'client_closed',
  'connection_lost',
  'server',
];
/** How full a client's queue is, in bands (a metric label). */
export const QUEUE_FILL_BANDS = [
  'empty',
  'lt_25',
  'lt_50',
  'lt_75',
  'lt_100',
  'full',
] as const;
export type QueueFillBand = (typeof QUEUE_FILL_BANDS)[number];
/** Why a resume could not be served exactly (`ResumePlan` reset reasons). */
export const RESET_REASONS = ['epoch', 'ahead', 'history'] as const;

/** One kind of client (Socket.IO or SSE), counted since start. */
export interface ClientKindStats {
  /** Sessions open now. */
  connected: number;
  /** Sessions opened since start. */
  connections: number;
  /** Connections refused before they started, by close code. */
  refused: Record<CloseCode, number>;
  /** Sessions ended, by reason. */
  disconnections: Record<DisconnectReason, number>;
  /** Events handed to these clients' transports (replays included). */
  delivered: number;
  /** Events these clients' queues dropped (sessions open and closed). */
  dropped: number;
  gapNotices: number;
  /** Events the gap notices reported missing. */
  gapMissed: number;
  /** Resumes served exactly (`replayed`), or reset, by reason. */
  resumes: { replayed: number } & Record<
    (typeof RESET_REASONS)[number],
    number
  >;
  /** Fresh snapshots sent after the connection began (asked for, or a new epoch). */
  resyncs: number;
  /** Events waiting in these clients' queues now, in total. */
  queued: number;
  /** The fullest queue now. */
  queueMax: number;
  /** Clients by how full their queue is now. */
  fill: Record<QueueFillBand, number>;
  /** Accept to socket write, live events only (not replays); `null` when not measured. */
  latency: HistogramSnapshot | null;
}

/** Everything {@link DeliveryStats} counted, at one point. */
export interface DeliverySnapshot {
  readonly socketio: ClientKindStats;
  readonly sse: ClientKindStats;
  /**
   * Events delivered to clients per type, for the types the app listed
   * (`metrics.eventTypes`), the rest under `other`; `null` when none listed.
   */
  readonly byType: Record<string, number> | null;
}

interface KindCounters {
  live: Set<ObservedSession>;
  connections: number;
  refused: Map<CloseCode, number>;
  disconnections: Map<DisconnectReason, number>;
  delivered: number;
  droppedClosed: number;
  gapNotices: number;
  gapMissed: number;
  replayed: number;
  resets: Map<string, number>;
  resyncs: number;
  latency: LatencyHistogram | null;
}

/** Options of {@link DeliveryStats}. */
export interface DeliveryStatsOptions {
  /** Buckets (ms) of the delivery latency histogram, or `null` not to measure it. */
  latencyBoundsMs: readonly number[] | null;
  /** Types counted one by one in `byType`, or `null`. */
  eventTypes: readonly string[] | null;
}

/**
 * The module's {@link DeliveryObserver}: plain counters per kind of client,
 * and the open sessions, read at scrape time by the metrics and the
 * inspector. Per batch it costs a few additions (and, when latency is
 * measured, one bucket lookup per event).
 */
export class DeliveryStats implements DeliveryObserver {
  private readonly kinds: Record<ClientKind, KindCounters>;
  private readonly byType: Map<string, number> | null;
  private other = 0;

  constructor(options: DeliveryStatsOptions) {
    const kind = (): KindCounters => ({
      live: new Set(),
      connections: 0,
      refused: new Map(),
      disconnections: new Map(),
      delivered: 0,
      droppedClosed: 0,
      gapNotices: 0,
      gapMissed: 0,
      replayed: 0,
      resets: new Map(),
      resyncs: 0,
      latency: options.latencyBoundsMs
        ? new LatencyHistogram(options.latencyBoundsMs)
        : null,
    });
    this.kinds = { socketio: kind(), sse: kind() };
    this.byType = options.eventTypes
      ? new Map(options.eventTypes.map((type) => [type, 0]))
      : null;
  }

  opened(session: ObservedSession, resume: ResumePlan | null): void {
    const counters = this.kinds[session.kind];
    counters.live.add(session);
    counters.connections++;
    if (resume?.kind === 'replay') counters.replayed++;
    else if (resume) increment(counters.resets, resume.reason);
  }

  writing(
    session: ObservedSession,
    messages: readonly Envelope[],
    gap: Gap | null,
    replay: boolean,
  ): void {
    const counters = this.kinds[session.kind];
    counters.delivered += messages.length;
    if (gap) {
      counters.gapNotices++;
      counters.gapMissed += gap.missed;
    }
    const latency = counters.latency;
    if (latency && !replay && messages.length > 0) {
      const now = Date.now();
      for (const message of messages) {
        latency.observe(now - message.acceptedAt);
      }
    }
    const byType = this.byType;
    if (byType) {
      for (const { type } of messages) {
        const count = byType.get(type);
        if (count === undefined) this.other++;
        else byType.set(type, count + 1);
      }
    }
  }

  resynced(session: ObservedSession): void {
    this.kinds[session.kind].resyncs++;
  }

  closed(session: ObservedSession, reason: DisconnectReason): void {
    const counters = this.kinds[session.kind];
    if (!counters.live.delete(session)) return;
    counters.droppedClosed += session.subscription.dropped;
    increment(counters.disconnections, reason);
  }

  refused(kind: ClientKind, code: CloseCode): void {
    increment(this.kinds[kind].refused, code);
  }

  /** Counts since start, and the queues of the sessions open now. */
  snapshot(): DeliverySnapshot {
    const [socketio, sse] = CLIENT_KINDS.map((kind) =>
      this.kindSnapshot(this.kinds[kind]),
    );
    let byType: Record<string, number> | null = null;
    if (this.byType) {
      byType = Object.create(null) as Record<string, number>;
      for (const [type, count] of this.byType) byType[type] = count;
      byType.other = this.other;
    }
    return { socketio, sse, byType };
  }

  private kindSnapshot(counters: KindCounters): ClientKindStats {
    let dropped = counters.droppedClosed;
    let queued = 0;
    let queueMax = 0;
    const fill = table(QUEUE_FILL_BANDS, () => 0);
    for (const { subscription } of counters.live) {
      dropped += subscription.dropped;
      queued += subscription.size;
      queueMax = Math.max(queueMax, subscription.size);
      fill[fillBand(subscription.size, subscription.capacity)]++;
    }
    return {
      connected: counters.live.size,
      connections: counters.connections,
      refused: table(CODES, (code) => counters.refused.get(code) ?? 0),
      disconnections: table(
        DISCONNECT_REASONS,
        (reason) => counters.disconnections.get(reason) ?? 0,
      ),
      delivered: counters.delivered,
      dropped,
      gapNotices: counters.gapNotices,
      gapMissed: counters.gapMissed,
      resumes: {
        replayed: counters.replayed,
        ...table(RESET_REASONS, (reason) => counters.resets.get(reason) ?? 0),
      },
      resyncs: counters.resyncs,
      queued,
      queueMax,
      fill,
      latency: counters.latency?.snapshot() ?? null,
    };
  }
}

function fillBand(size: number, capacity: number): QueueFillBand {
  if (size === 0) return 'empty';
  if (size >= capacity) return 'full';
  const ratio = size / capacity;
  return ratio < 0.25
    ? 'lt_25'
    : ratio < 0.5
      ? 'lt_50'
      : ratio < 0.75
        ? 'lt_75'
        : 'lt_100';
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function table<K extends string, V>(
  keys: readonly K[],
  value: (key: K) => V,
): Record<K, V> {
  const out = {} as Record<K, V>;
  for (const key of keys) out[key] = value(key);
  return out;
}
