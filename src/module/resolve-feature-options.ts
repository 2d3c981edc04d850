import type {
  MetricsRegistry,
  ResolvedFeatureOptions,
  ResolvedInspectorOptions,
  ResolvedMetricsOptions,
} from '../bus/event-bus-options.js';
import { assertPositive } from '../core/assert-option.js';
import type { EventBusModuleExtras } from './event-bus-options.interface.js';
import { resolveIngestRoute } from './resolve-access-options.js';

/** The defaults of the metrics and the inspector. */
export const FEATURE_DEFAULTS = {
  metricsPath: 'metrics',
  /** Seconds: 1 ms to 10 s. */
  latencyBuckets: [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ],
  inspectorLogSize: 2000,
  /** Most types `metrics.eventTypes` may list (each one a label value). */
  maxEventTypeLabels: 200,
} as const;

/**
 * Checks the options that shape the module's routes (`metrics`,
 * `inspector`), given beside `forRoot`'s other options or at the top of
 * `forRootAsync`'s, and applies their defaults. Part of
 * `resolveEventBusOptions`'s job, done when the module is defined.
 */
export function resolveFeatureOptions(
  extras: Pick<EventBusModuleExtras, 'metrics' | 'inspector' | 'ingest'>,
): ResolvedFeatureOptions {
  if ('ingestPath' in extras) {
    throw new TypeError(
      "ingestPath was replaced by ingest: the ingest endpoint is off unless given; use ingest: true or ingest: { path: 'api/events' }",
    );
  }
  return {
    metrics: resolveMetrics(extras.metrics),
    inspector: resolveInspector(extras.inspector),
    ingest: resolveIngestRoute(extras.ingest, routePath),
  };
}

function resolveMetrics(
  metrics: EventBusModuleExtras['metrics'],
): ResolvedMetricsOptions | null {
  if (metrics === undefined || metrics === false) return null;
  if (metrics !== true && (typeof metrics !== 'object' || metrics === null)) {
    throw new TypeError(
      'metrics must be true, false, or { path?, registry?, eventTypes?, latencyBuckets? }',
    );
  }
  const options = metrics === true ? {} : metrics;
  const path =
    options.path === false
      ? null
      : routePath('metrics.path', options.path ?? FEATURE_DEFAULTS.metricsPath);
  if (path === '') {
    throw new TypeError('metrics.path must not be the root route');
  }
  const registry = options.registry ?? null;
  if (
    registry !== null &&
    (typeof registry !== 'object' ||
      typeof (registry as Partial<MetricsRegistry>).registerMetric !==
        'function' ||
      typeof (registry as Partial<MetricsRegistry>).metrics !== 'function')
  ) {
    throw new TypeError('metrics.registry must be a prom-client Registry');
  }
  const eventTypes = options.eventTypes ?? null;
  if (
    eventTypes !== null &&
    (!Array.isArray(eventTypes) ||
      eventTypes.length > FEATURE_DEFAULTS.maxEventTypeLabels ||
      eventTypes.some(
        (type) => typeof type !== 'string' || !type || type === 'other',
      ))
  ) {
    throw new TypeError(
      `metrics.eventTypes must be an array of at most ${FEATURE_DEFAULTS.maxEventTypeLabels} type names (not 'other', which counts the rest)`,
    );
  }
  const buckets = options.latencyBuckets ?? FEATURE_DEFAULTS.latencyBuckets;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some(
      (b, i) =>
        typeof b !== 'number' ||
        !Number.isFinite(b) ||
        b <= 0 ||
        (i > 0 && b <= buckets[i - 1]),
    )
  ) {
    throw new TypeError(
      'metrics.latencyBuckets must be ascending positive numbers of seconds',
    );
  }
  return {
    path,
    registry,
    eventTypes: eventTypes ? [...new Set(eventTypes)] : null,
    latencyBoundsMs: buckets.map((seconds) => seconds * 1000),
  };
}

function resolveInspector(
  inspector: EventBusModuleExtras['inspector'],
): ResolvedInspectorOptions | null {
  if (inspector === undefined || inspector === false) return null;
  if (typeof inspector !== 'object' || inspector === null) {
    throw new TypeError('inspector must be false or { path, logSize? }');
  }
  assertPositive('inspector.logSize', inspector.logSize);
  return {
    path: routePath('inspector.path', inspector.path),
    logSize: inspector.logSize ?? FEATURE_DEFAULTS.inspectorLogSize,
  };
}

/** A route without its leading and trailing slashes (`''` for the root). */
export function routePath(name: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    !/^\/?([\w\-.~]+(\/[\w\-.~]+)*)?\/?$/.test(value) ||
    value.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new TypeError(
      `${name} must be a route such as 'metrics' or '/ops/metrics' (letters, digits, - _ . ~ and /), got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`,
    );
  }
  return value.replace(/^\/+|\/+$/g, '');
}
