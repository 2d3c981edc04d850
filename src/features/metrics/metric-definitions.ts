import {
  CLIENT_KINDS,
  type ClientKind,
} from '../../delivery/delivery-observer.js';
import {
  DISCONNECT_REASONS,
  QUEUE_FILL_BANDS,
  RESET_REASONS,
  type ClientKindStats,
} from '../../delivery/delivery-stats.js';
import { CLOSE_CODES, type CloseCode } from '../../protocol/codes.js';
import type { TransportState } from '../../transports/event-transport.js';
import type { MonitorState } from '../monitor/monitor.service.js';
import type { LivebusSample } from '../stats/livebus-stats.service.js';
import {
  histogramValues,
  PulledMetric,
  type MetricType,
  type MetricValue,
} from './pulled-metric.js';

/** The prefix of every metric of the bus. */
export const METRIC_PREFIX = 'livebus_';

const WORKER_STATES: readonly MonitorState[] = [
  'idle',
  'starting',
  'running',
  'restarting',
  'failed',
  'stopped',
];
const TRANSPORT_STATES: readonly TransportState[] = [
  'starting',
  'ready',
  'degraded',
  'stopped',
];
const CODES = Object.keys(CLOSE_CODES) as CloseCode[];

type Read = (sample: LivebusSample) => MetricValue[];

const one = (value: number): MetricValue[] => [{ value }];
const perKind = (read: (stats: ClientKindStats) => number): Read => {
  return (s) =>
    CLIENT_KINDS.map((transport) => ({
      labels: { transport },
      value: read(s.clients[transport]),
    }));
};
const perKindAnd = <K extends string>(
  label: string,
  keys: readonly K[],
  read: (stats: ClientKindStats, key: K) => number,
): Read => {
  return (s) =>
    CLIENT_KINDS.flatMap((transport: ClientKind) =>
      keys.map((key) => ({
        labels: { transport, [label]: key },
        value: read(s.clients[transport], key),
      })),
    );
};

/**
 * Every metric of the bus, by name: what it means and how it is read from a
 * {@link LivebusSample}. Labels take values from small closed sets only
 * (transport kinds, close codes, states); a type is a label only when the
 * app listed it (`metrics.eventTypes`).
 */
const DEFINITIONS: [string, MetricType, string, Read][] = [
  // The bus
  [
    'events_published_total',
    'counter',
    "Events this node's bus sequenced: published here, or (Redis) read from the shared stream.",
    (s) => one(s.bus.published),
  ],
  [
    'events_refused_total',
    'counter',
    'Publishes refused, by reason: invalid (or too large), closed (shutting down), not_ready (before start-up).',
    (s) => [
      { labels: { reason: 'invalid' }, value: s.bus.rejected },
      { labels: { reason: 'closed' }, value: s.bus.refusedClosed },
      { labels: { reason: 'not_ready' }, value: s.bus.refusedNotReady },
    ],
  ],
  [
    'queue_dropped_events_total',
    'counter',
    "Events dropped from full subscriber queues (oldest first), by transport: socketio, sse, or internal (the app's own subscriptions).",
    (s) => {
      const clients = CLIENT_KINDS.map((transport) => ({
        labels: { transport },
        value: s.clients[transport].dropped,
      }));
      const internal =
        s.bus.dropped - clients.reduce((sum, v) => sum + v.value, 0);
      return [
        ...clients,
        { labels: { transport: 'internal' }, value: Math.max(0, internal) },
      ];
    },
  ],
  [
    'subscribers',
    'gauge',
    'Subscriptions open on the bus (clients and the app own).',
    (s) => one(s.bus.subscribers),
  ],
  [
    'listener_errors_total',
    'counter',
    'Subscription listeners that threw (delivery to the others went on).',
    (s) => one(s.bus.listenerErrors),
  ],
  [
    'last_seq',
    'gauge',
    'Sequence number of the newest event on this node.',
    (s) => one(s.lastSeq),
  ],
  [
    'snapshot_types',
    'gauge',
    'Event types in the snapshot.',
    (s) => one(s.sizes.snapshotTypes),
  ],
  [
    'snapshot_bytes',
    'gauge',
    'JSON text the snapshot holds (UTF-16 code units, about bytes).',
    (s) => one(s.sizes.snapshotBytes),
  ],
  [
    'history_events',
    'gauge',
    'Events kept for resuming clients.',
    (s) => one(s.sizes.historyEvents),
  ],
  [
    'history_bytes',
    'gauge',
    'JSON text the history holds (UTF-16 code units, about bytes).',
    (s) => one(s.sizes.historyBytes),
  ],
  [
    'draining',
    'gauge',
    '1 while this node drains (shutting down): readiness is down.',
    (s) => one(s.draining ? 1 : 0),
  ],
  // Clients
  [
    'clients_connected',
    'gauge',
    'Clients connected now, by transport.',
    perKind((c) => c.connected),
  ],
  [
    'connections_total',
    'counter',
    'Client sessions opened, by transport.',
    perKind((c) => c.connections),
  ],
  [
    'connections_refused_total',
    'counter',
    'Connections refused before they started, by transport and close code.',
    perKindAnd('code', CODES, (c, code) => c.refused[code]),
  ],
  [
    'disconnections_total',
    'counter',
    'Client sessions ended, by transport and reason (a close code the server sent, client_closed, connection_lost, server).',
    perKindAnd('reason', DISCONNECT_REASONS, (c, r) => c.disconnections[r]),
  ],
  [
    'resumes_total',
    'counter',
    'Clients that asked to resume: replayed exactly (reason none), or reset by reason (epoch, ahead, history).',
    (s) =>
      CLIENT_KINDS.flatMap((transport) => [
        {
          labels: { transport, outcome: 'replayed', reason: 'none' },
          value: s.clients[transport].resumes.replayed,
        },
        ...RESET_REASONS.map((reason) => ({
          labels: { transport, outcome: 'reset', reason },
          value: s.clients[transport].resumes[reason],
        })),
      ]),
  ],
  [
    'resyncs_total',
    'counter',
    'Fresh snapshots sent to connected clients (they asked, after a gap or a type change, or a new epoch began).',
    perKind((c) => c.resyncs),
  ],
  [
    'events_delivered_total',
    'counter',
    "Events handed to clients' transports (replays included), by transport.",
    perKind((c) => c.delivered),
  ],
  [
    'gap_notices_total',
    'counter',
    'Gap notices sent to clients, by transport.',
    perKind((c) => c.gapNotices),
  ],
  [
    'gap_missed_events_total',
    'counter',
    'Events the gap notices reported missing, by transport.',
    perKind((c) => c.gapMissed),
  ],
  [
    'client_queued_events',
    'gauge',
    "Events waiting in clients' queues now, by transport.",
    perKind((c) => c.queued),
  ],
  [
    'client_queue_depth_max',
    'gauge',
    'The fullest client queue now, in events, by transport.',
    perKind((c) => c.queueMax),
  ],
  [
    'clients_by_queue_fill',
    'gauge',
    'Clients by how full their queue is now (empty, lt_25 ... lt_100 percent, full), by transport.',
    perKindAnd('fill', QUEUE_FILL_BANDS, (c, band) => c.fill[band]),
  ],
  [
    'delivery_latency_seconds',
    'histogram',
    "From the bus accepting an event to its write to a client's socket (live events, not replays), by transport.",
    (s) =>
      CLIENT_KINDS.flatMap((transport) => {
        const latency = s.clients[transport].latency;
        return latency
          ? histogramValues(
              `${METRIC_PREFIX}delivery_latency_seconds`,
              latency,
              { transport },
            )
          : [];
      }),
  ],
  // The worker
  [
    'worker_state',
    'gauge',
    "The supervised worker's state: 1 for the current one.",
    (s) =>
      WORKER_STATES.map((state) => ({
        labels: { state },
        value: s.worker.state === state ? 1 : 0,
      })),
  ],
  [
    'worker_restarts_total',
    'counter',
    'Worker restarts after a crash.',
    (s) => one(s.worker.restarts),
  ],
  [
    'worker_relay_batches_total',
    'counter',
    'Batches the worker helper sent to the main thread.',
    (s) => one(s.worker.batches),
  ],
  [
    'worker_events_total',
    'counter',
    'Worker events by outcome: relayed, invalid, unavailable (transport down), after_close, dropped_in_worker (the worker published faster than relayed).',
    (s) => [
      { labels: { outcome: 'relayed' }, value: s.worker.relayed },
      { labels: { outcome: 'invalid' }, value: s.worker.invalid },
      { labels: { outcome: 'unavailable' }, value: s.worker.unavailable },
      { labels: { outcome: 'after_close' }, value: s.worker.afterClose },
      {
        labels: { outcome: 'dropped_in_worker' },
        value: s.worker.droppedInWorker,
      },
    ],
  ],
  // The transport
  [
    'transport_state',
    'gauge',
    "The transport's state: 1 for the current one, labelled by kind.",
    (s) =>
      TRANSPORT_STATES.map((state) => ({
        labels: { kind: s.transport.kind, state },
        value: s.transport.state === state ? 1 : 0,
      })),
  ],
  [
    'transport_reader_lag_events',
    'gauge',
    "Events of the shared stream this node's reader has not applied yet (Redis).",
    (s) => (s.transport.readerLag === null ? [] : one(s.transport.readerLag)),
  ],
  [
    'transport_epoch_changes_total',
    'counter',
    'Times the shared stream began a new epoch after start (Redis lost or replaced its data).',
    (s) => (s.transport.stats ? one(s.transport.stats.epochChanges) : []),
  ],
  [
    'transport_command_errors_total',
    'counter',
    'Appends the shared transport failed (refused, unanswered, timed out).',
    (s) => (s.transport.stats ? one(s.transport.stats.commandErrors) : []),
  ],
  [
    'transport_command_duration_seconds',
    'histogram',
    'How long appends to the shared transport took to be answered (Redis).',
    (s) =>
      s.transport.stats
        ? histogramValues(
            `${METRIC_PREFIX}transport_command_duration_seconds`,
            s.transport.stats.commandLatency,
          )
        : [],
  ],
];

/** The per-type metric, only when the app listed types. */
const BY_TYPE: [string, MetricType, string, Read] = [
  'type_events_delivered_total',
  'counter',
  "Events handed to clients' transports, by type (the listed ones; the rest as other).",
  (s) =>
    Object.entries(s.clients.byType ?? {}).map(([type, value]) => ({
      labels: { type },
      value,
    })),
];

/** Builds the bus's metrics, each reading `sample()` when scraped. */
export function defineMetrics(
  sample: () => Promise<LivebusSample>,
  byType: boolean,
): PulledMetric[] {
  return [...DEFINITIONS, ...(byType ? [BY_TYPE] : [])].map(
    ([name, type, help, read]) =>
      new PulledMetric(METRIC_PREFIX + name, help, type, async () =>
        read(await sample()),
      ),
  );
}
