import type { MetricsRegistry } from '../bus/event-bus-options.js';

export type { MetricsRegistry };

/**
 * Prometheus metrics through prom-client, an optional peer
 * (`npm install prom-client`), loaded only when this is set.
 */
export interface EventBusMetricsOptions {
  /**
   * Route of `GET` metrics in the Prometheus text format (behind the app's
   * guards), or `false` to only register the collectors, for an app that
   * serves its registry itself (`@willsoto/nestjs-prometheus` does).
   * @default 'metrics'
   */
  path?: string | false;
  /** The registry to register in. @default prom-client's global `register` */
  registry?: MetricsRegistry;
  /**
   * Types counted one by one in `livebus_type_events_delivered_total{type}`
   * (every other type under `type="other"`). A type is a label only if it
   * is listed here: labels must stay few. @default none (no such metric)
   */
  eventTypes?: readonly string[];
  /**
   * Buckets of `livebus_delivery_latency_seconds`, in seconds.
   * @default [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  latencyBuckets?: readonly number[];
}

/**
 * The inspector: a live page of the bus (connection, latest event of each
 * type, an event log, charts, the server's counters) served by the module,
 * behind the app's guards. Off unless given.
 */
export interface EventBusInspectorOptions {
  /** Where the page is mounted, e.g. `'inspector'` or `'/'`. */
  path: string;
  /** Most events the page's log keeps. @default 2000 */
  logSize?: number;
}
