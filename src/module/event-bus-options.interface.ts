import type { ResourceLimits } from 'node:worker_threads';
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
import type { LivebusAuthOptions } from './auth-options.interface.js';

export type { LivebusAuthOptions };
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
   * counted in `MonitorService.stats().droppedInWorker` and logged. Plain
   * events posted without the helper wait in a queue of the same size in
   * the main thread (`stats().rawDropped`). @default 10000
   */
  maxPendingEvents?: number;
  /** How long shutdown waits for the worker to exit before giving up, in ms (in `onModuleDestroy`). @default 5000 */
  stopTimeoutMs?: number;
  /**
   * How often the worker helper (`nestjs-livebus/worker`, from its first
   * use) sends a heartbeat from a timer in the worker, in ms. @default 1000
   */
  heartbeatIntervalMs?: number;
  /**
   * A started worker that sent heartbeats and then sent none for this long
   * is hung (a busy loop blocks its timers): it is terminated and restarted
   * (`monitor` event reason `hung`). Raise it for a worker that runs long
   * synchronous work; at least twice `heartbeatIntervalMs`. @default 30000
   */
  hangTimeoutMs?: number;
  /**
   * A worker that posted nothing (call `ready()`) within this long of its
   * start is terminated and counts as a failed start (reason
   * `start_timeout`). @default 30000
   */
  startTimeoutMs?: number;
  /**
   * Most messages a second (a second's worth at once) the worker may post
   * outside the helper's flow control: plain `parentPort.postMessage`
   * events, log lines, heartbeats. Past it the worker is terminated and
   * restarted (reason `flooding`) and what it had queued is counted and
   * dropped unread (`stats().overBudget`). @default 10000
   */
  maxRawMessagesPerSecond?: number;
  /**
   * The worker thread's V8 limits (Node's `resourceLimits`), merged over
   * the default; a worker over them is restarted (reason `out_of_memory`).
   * @default { maxOldGenerationSizeMb: 512 }
   */
  resourceLimits?: ResourceLimits;
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
   * Largest accepted `POST` body for ingest, in bytes, counted as it is
   * read (chunked or not; a compressed body by what it inflates to): 413
   * past it. The ingest route reads its own body, so the app's body parser
   * limit (Express: 100 kB) does not apply to it.
   * @default 102400
   */
  maxRequestBytes?: number;
  /**
   * Most types a client may name in a filter (Socket.IO handshake `types`,
   * SSE `?types=`, `subscribe`); more is refused with `bad_request`.
   * @default 256
   */
  maxFilterTypes?: number;
  /**
   * Most bytes of a Socket.IO handshake's `auth` and query together, as
   * JSON, and of one `subscribe` message; more is refused with
   * `bad_request`. (Socket.IO's `maxHttpBufferSize`, 1 MB, bounds every
   * message; this bounds what a connection keeps of its handshake.)
   * @default 32768
   */
  maxHandshakeBytes?: number;
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
  /**
   * Who may connect, read which types and publish which: the app's guards
   * and/or an `authenticate` function at every entry point, per-type
   * permissions, credentials that expire. See {@link LivebusAuthOptions}.
   * @default none (the app's global guards still apply everywhere)
   */
  auth?: LivebusAuthOptions;
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
  /**
   * Route that serves the browser client as one ES module (`GET`, e.g.
   * `'livebus/client.js'`), as Socket.IO serves `/socket.io/socket.io.js`;
   * `false` leaves it out. @default false
   */
  clientPath?: string | false;
}

/** A class that `forRootAsync({ useClass })` / `useExisting` asks for the options. */
export interface EventBusOptionsFactory {
  createEventBusOptions():
    EventBusModuleOptions | Promise<EventBusModuleOptions>;
}
