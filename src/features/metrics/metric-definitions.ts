import { CLIENT_KINDS } from '../../delivery/delivery-observer.js';
import {
  CLIENT_DEFINITIONS,
  METRIC_PREFIX,
  type Definition,
} from './client-metric-definitions.js';
import type { TransportState } from '../../transports/event-transport.js';
import type { MonitorState } from '../monitor/monitor.service.js';
import type { LivebusSample } from '../stats/livebus-stats.service.js';
import {
  histogramValues,
  PulledMetric,
  type MetricValue,
} from './pulled-metric.js';

export { METRIC_PREFIX };

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

const one = (value: number): MetricValue[] => [{ value }];

/**
 * Every metric of the bus, by name: what it means and how it is read from a
 * {@link LivebusSample}. Labels take values from small closed sets only
 * (transport kinds, close codes, states); a type is a label only when the
 * app listed it (`metrics.eventTypes`).
 */
const DEFINITIONS: Definition[] = [
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
    'JSON the snapshot holds, in UTF-8 bytes (at most snapshotMaxBytes).',
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
  ...CLIENT_DEFINITIONS,
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
    'Worker events by outcome: relayed, invalid, unavailable (transport down), after_close, dropped_in_worker (the worker published faster than relayed), raw_dropped (plain postMessage events past maxPendingEvents), over_budget (messages discarded past maxRawMessagesPerSecond), malformed (protocol messages refused whole).',
    (s) => [
      { labels: { outcome: 'relayed' }, value: s.worker.relayed },
      { labels: { outcome: 'invalid' }, value: s.worker.invalid },
      { labels: { outcome: 'unavailable' }, value: s.worker.unavailable },
      { labels: { outcome: 'after_close' }, value: s.worker.afterClose },
      {
        labels: { outcome: 'dropped_in_worker' },
        value: s.worker.droppedInWorker,
      },
      { labels: { outcome: 'raw_dropped' }, value: s.worker.rawDropped },
      { labels: { outcome: 'over_budget' }, value: s.worker.overBudget },
      { labels: { outcome: 'malformed' }, value: s.worker.malformed },
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
    'transport_skipped_entries_total',
    'counter',
    'Entries of the shared stream or latest hash this node skipped as not written by the bus (Redis).',
    (s) =>
      s.transport.stats?.skippedEntries === undefined
        ? []
        : one(s.transport.stats.skippedEntries),
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
const BY_TYPE: Definition = [
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
