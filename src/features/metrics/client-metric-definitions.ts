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
import type { LivebusSample } from '../stats/livebus-stats.service.js';
import {
  histogramValues,
  type MetricType,
  type MetricValue,
} from './pulled-metric.js';

/** The prefix of every metric of the bus. */
export const METRIC_PREFIX = 'livebus_';

/** How a metric's values are read from a sample. */
export type Read = (sample: LivebusSample) => MetricValue[];
/** A metric: name (without the prefix), type, help, and how it is read. */
export type Definition = [string, MetricType, string, Read];

const CODES = Object.keys(CLOSE_CODES) as CloseCode[];

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

/** The metrics of the clients (Socket.IO and SSE), labelled by transport. */
export const CLIENT_DEFINITIONS: Definition[] = [
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
];
