import type { ActivityWorkerSettings } from '../activity/activity-defaults.js';
import type { LivebusCoreOptions } from '../core/core-options.js';

export type { ActivityWorkerSettings };
import type { TransportOption } from '../bus/transport-option.js';
import type {
  EventBusInspectorOptions,
  EventBusMetricsOptions,
} from './feature-options.interface.js';
import type {
  EventBusIngestOptions,
  EventBusLimitsOptions,
  EventBusOriginsOptions,
  PublishPolicyOptions,
} from './access-options.interface.js';

export type { EventBusInspectorOptions, EventBusMetricsOptions };
export type {
  EventBusIngestOptions,
  EventBusLimitsOptions,
  EventBusOriginsOptions,
  PublishPolicyOptions,
};

/** A worker thread of your own for `MonitorService` to run and supervise. */
export interface MonitorWorkerOptions extends PublishPolicyOptions {
  /** The worker's entry file: an absolute path or a `file:` URL of a JavaScript module. */
  script: string | URL;
  /** Passed to the worker as `workerData`. */
  workerData?: unknown;
  /** First restart delay after a crash, in ms; doubles per crash up to `maxRestartDelayMs`. @default 500 */
  restartDelayMs?: number;
  /** Longest restart delay, in ms. @default 30000 */
  maxRestartDelayMs?: number;
  /**
   * Most events the worker helper holds while the main thread is busy
   * relaying (one batch crosses at a time); past it the oldest are dropped,
   * counted in `MonitorService.stats().droppedInWorker` and logged. @default 10000
   */
  maxPendingEvents?: number;
  /** How long shutdown waits for the worker to exit before giving up, in ms (in `onModuleDestroy`). @default 5000 */
  stopTimeoutMs?: number;
}

/** The built-in activity worker, with its settings (`true` for the defaults). */
export interface ActivityWorkerOptions extends PublishPolicyOptions {
  activity: ActivityWorkerSettings | true;
}

/** Options of `EventBusModule.forRoot` / `forRootAsync`. */
export interface EventBusModuleOptions extends LivebusCoreOptions {
  /**
   * What carries events: `'memory'` (one process) or
   * `{ type: 'redis', url }` (several nodes behind one Redis; connected in
   * `onModuleInit`, which fails with a clear error if Redis is unreachable).
   * @default 'memory'
   */
  transport?: TransportOption;
  /** Socket.IO namespace of the gateway. @default '/predictions' */
  namespace?: string;
  /**
   * Largest accepted `POST` body for ingest, in bytes (413 past it). The
   * app's JSON body parser has its own limit (Express: 100 kB), checked
   * first: raise both together (`app.useBodyParser('json', { limit })`).
   * @default 102400
   */
  maxRequestBytes?: number;
  /**
   * How long shutdown (`beforeApplicationShutdown`) waits for clients to be
   * told the server is going before Nest closes Socket.IO, in ms. A client
   * that stopped reading is not waited for longer. @default 2000
   */
  shutdownGraceMs?: number;
  /** How often an idle SSE stream gets a keep-alive comment, in ms. @default 15000 */
  sseKeepAliveMs?: number;
  /**
   * The worker `MonitorService` starts in `onApplicationBootstrap` and stops
   * in `onModuleDestroy`, if any: the activity worker
   * (`{ activity: { pollIntervalMs } }`, it publishes what the host runs:
   * ask for it), your own (`{ script }`), each with what it may publish.
   * @default none
   */
  worker?: MonitorWorkerOptions | ActivityWorkerOptions | false;
  /**
   * Connection and message limits (see {@link EventBusLimitsOptions}), or
   * `false` for none. @default on, with the defaults of each
   */
  limits?: EventBusLimitsOptions | false;
  /**
   * Browser origins allowed besides the page's own host: a list
   * (`['https://a.example']`), `'*'` for any, or {@link EventBusOriginsOptions}.
   * Applied to the Engine.IO handshake (WebSocket and long-polling: the
   * whole Socket.IO server) and the module's HTTP routes (CORS, preflight
   * answered). @default same-origin pages and non-browser clients only
   */
  origins?: '*' | readonly (string | RegExp)[] | EventBusOriginsOptions;
}

/** Options fixed when the module is defined, because Nest reads routes from class metadata. */
export interface EventBusModuleExtras {
  /** Register the module globally. @default true */
  isGlobal?: boolean;
  /** Route of the snapshot endpoint (`GET`). @default 'api/ws/snapshot' */
  snapshotPath?: string;
  /**
   * The ingest endpoint (`POST`, for processes that are not Nest
   * providers): `true` on `api/events` with the default limits, or
   * {@link EventBusIngestOptions}. @default false (no route: 404)
   */
  ingest?: EventBusIngestOptions | boolean;
  /** Route of the Server-Sent Events stream (`GET`), or `false` to leave it out. @default 'api/events/stream' */
  ssePath?: string | false;
  /**
   * Prometheus metrics (prom-client, an optional peer): `true` for the
   * defaults (`GET /metrics`, prom-client's global registry). @default false
   */
  metrics?: EventBusMetricsOptions | boolean;
  /** The inspector page, e.g. `{ path: 'inspector' }`. @default false (none) */
  inspector?: EventBusInspectorOptions | false;
}

/** A class that `forRootAsync({ useClass })` / `useExisting` asks for the options. */
export interface EventBusOptionsFactory {
  createEventBusOptions():
    EventBusModuleOptions | Promise<EventBusModuleOptions>;
}
