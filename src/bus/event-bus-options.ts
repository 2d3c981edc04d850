import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';
import type { ResourceLimits } from 'node:worker_threads';
import type { ResolvedCoreOptions } from '../core/core-options.js';
import type {
  ResolvedIngestOptions,
  ResolvedLimitsOptions,
  ResolvedOriginsOptions,
  ResolvedPublishPolicy,
} from './access-options.js';
import type { TransportOption } from './transport-option.js';

/**
 * @internal The token of the module's options once resolved (checked, every
 * default applied, by `resolveEventBusOptions`): what every part injects.
 */
export const RESOLVED_OPTIONS = Symbol('LIVEBUS_RESOLVED_OPTIONS');

/** A worker to run, every field decided. */
export interface ResolvedWorkerOptions {
  /** The entry file, or `null` for the built-in activity worker. */
  readonly script: string | URL | null;
  readonly workerData: unknown;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly stopTimeoutMs: number;
  readonly maxPendingEvents: number;
  readonly heartbeatIntervalMs: number;
  readonly hangTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly maxRawMessagesPerSecond: number;
  readonly resourceLimits: Readonly<ResourceLimits>;
  /** What it may publish, and how fast. */
  readonly policy: ResolvedPublishPolicy;
}

/**
 * The prom-client registry the metrics go into: a `Registry` of
 * prom-client (declared by shape, so that this package's types do not
 * need prom-client installed).
 */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
  getSingleMetric(name: string): unknown;
}

/** The metrics, when turned on. */
export interface ResolvedMetricsOptions {
  /** Route of `GET` metrics, or `null` for none. */
  readonly path: string | null;
  /** The registry, or `null` for prom-client's global one. */
  readonly registry: MetricsRegistry | null;
  readonly eventTypes: readonly string[] | null;
  /** Delivery latency buckets, in ms. */
  readonly latencyBoundsMs: readonly number[];
}

/** The inspector, when turned on. */
export interface ResolvedInspectorOptions {
  /** Its route, without leading or trailing `/` (`''` for the root). */
  readonly path: string;
  readonly logSize: number;
}

/**
 * The ingest endpoint as the module's definition gives it (its route is
 * class metadata); `resolveEventBusOptions` completes its policy with the
 * other options (`maxTypes`, the types other sources declare).
 */
export type IngestRoute = Omit<
  ResolvedIngestOptions,
  'reserved' | 'maxTypes'
> & {
  /** `undefined`: the default, decided with `snapshotMaxTypes`. */
  readonly maxTypes: number | undefined;
};

/** The options fixed when the module is defined (they shape its routes). */
export interface ResolvedFeatureOptions {
  readonly metrics: ResolvedMetricsOptions | null;
  readonly inspector: ResolvedInspectorOptions | null;
  /** The ingest endpoint, or `null` when off (the default). */
  readonly ingest: IngestRoute | null;
}

/** @internal The token of the resolved {@link ResolvedFeatureOptions}. */
export const RESOLVED_FEATURES = Symbol('LIVEBUS_RESOLVED_FEATURES');

/** The `auth` option, checked, with its defaults applied. */
export interface ResolvedAuthOptions {
  readonly guards: readonly (Type<CanActivate> | CanActivate)[];
  readonly authenticate: ((context: ExecutionContext) => unknown) | null;
  readonly canRead: ((principal: unknown, type: string) => boolean) | null;
  readonly canPublish: ((principal: unknown, type: string) => boolean) | null;
  readonly refreshBeforeMs: number;
}

/** Every option of the module, checked, with its default applied. */
export interface ResolvedEventBusOptions {
  readonly core: ResolvedCoreOptions;
  readonly transport: TransportOption;
  readonly namespace: string;
  readonly maxRequestBytes: number;
  /** Most types in a client's filter (handshake, SSE, `subscribe`). */
  readonly maxFilterTypes: number;
  /** Most bytes of a handshake's `auth` and query, and of a `subscribe` message. */
  readonly maxHandshakeBytes: number;
  readonly shutdownGraceMs: number;
  readonly sseKeepAliveMs: number;
  /** The worker `MonitorService` runs, or `null` for none. */
  readonly worker: ResolvedWorkerOptions | null;
  /** Prometheus metrics, or `null` when off. */
  readonly metrics: ResolvedMetricsOptions | null;
  /** The inspector page, or `null` when off. */
  readonly inspector: ResolvedInspectorOptions | null;
  /** Authentication and per-type permissions, or `null` when off. */
  readonly auth: ResolvedAuthOptions | null;
  /** The ingest endpoint, or `null` when off (the default). */
  readonly ingest: ResolvedIngestOptions | null;
  readonly limits: ResolvedLimitsOptions;
  readonly origins: ResolvedOriginsOptions;
}
