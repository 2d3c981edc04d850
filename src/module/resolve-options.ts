import {
  ACTIVITY_DEFAULTS,
  ACTIVITY_EVENT_TYPES,
} from '../activity/activity-defaults.js';
import { assertPositive } from '../core/assert-option.js';
import { resolveCoreOptions } from '../core/core-options.js';
import type {
  ResolvedEventBusOptions,
  ResolvedFeatureOptions,
  ResolvedWorkerOptions,
} from '../bus/event-bus-options.js';
import { checkTransportOption } from '../bus/transport-option.js';
import { resolveFeatureOptions } from './resolve-feature-options.js';
import { DEFAULT_NAMESPACE } from '../protocol/messages.js';
import { WORKER_DEFAULTS } from '../protocol/worker-messages.js';
import type {
  ActivityWorkerOptions,
  ActivityWorkerSettings,
  EventBusModuleOptions,
  MonitorWorkerOptions,
} from './event-bus-options.interface.js';
import {
  completePolicies,
  policyFields,
  resolveLimits,
  resolveOrigins,
} from './resolve-access-options.js';

/** The module's own defaults (the core's are `CORE_DEFAULTS`). */
export const MODULE_DEFAULTS = {
  namespace: DEFAULT_NAMESPACE,
  /** Express's own JSON limit (100 kB), so the two agree. */
  maxRequestBytes: 100 * 1024,
  shutdownGraceMs: 2000,
  sseKeepAliveMs: 15_000,
} as const;

/**
 * Checks every option of the module and applies every default, once, when
 * the module is created: a bad option throws a TypeError that names it (and
 * never prints a secret such as a Redis password).
 */
export function resolveEventBusOptions(
  options: EventBusModuleOptions = {},
  features: ResolvedFeatureOptions = resolveFeatureOptions({}),
): ResolvedEventBusOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('EventBusModule options must be an object');
  }
  const { namespace = MODULE_DEFAULTS.namespace } = options;
  if (typeof namespace !== 'string' || !/^\/[\w\-/]*$/.test(namespace)) {
    throw new TypeError(
      `namespace must be a Socket.IO namespace starting with '/' (letters, digits, _ - /), got ${typeof namespace === 'string' ? JSON.stringify(namespace.slice(0, 40)) : typeof namespace}`,
    );
  }
  assertPositive('maxRequestBytes', options.maxRequestBytes);
  assertPositive('sseKeepAliveMs', options.sseKeepAliveMs);
  const shutdownGraceMs =
    options.shutdownGraceMs ?? MODULE_DEFAULTS.shutdownGraceMs;
  if (!(Number.isFinite(shutdownGraceMs) && shutdownGraceMs >= 0)) {
    throw new TypeError(
      `shutdownGraceMs must be a number of ms, 0 or more, got ${String(shutdownGraceMs)}`,
    );
  }
  const core = resolveCoreOptions(options);
  const worker = resolveWorker(options.worker);
  const policies = completePolicies(
    features.ingest,
    worker && worker.policy,
    core.snapshotMaxTypes,
  );
  return {
    core,
    transport: checkTransportOption(options.transport ?? 'memory'),
    namespace,
    maxRequestBytes: options.maxRequestBytes ?? MODULE_DEFAULTS.maxRequestBytes,
    shutdownGraceMs,
    sseKeepAliveMs: options.sseKeepAliveMs ?? MODULE_DEFAULTS.sseKeepAliveMs,
    worker: worker && { ...worker, policy: policies.worker! },
    metrics: features.metrics,
    inspector: features.inspector,
    ingest: policies.ingest,
    limits: resolveLimits(options.limits),
    origins: resolveOrigins(options.origins),
  };
}

export { resolveFeatureOptions };

/** A worker, its policy still to be completed with the ingest endpoint's. */
type WorkerDraft = Omit<ResolvedWorkerOptions, 'policy'> & {
  policy: ReturnType<typeof policyFields>;
};

function resolveWorker(
  worker: EventBusModuleOptions['worker'],
): WorkerDraft | null {
  if (worker === undefined || worker === false) return null;
  if (typeof worker !== 'object' || worker === null) {
    throw new TypeError(
      'worker must be false, { activity: { pollIntervalMs? } } or { script, ... }',
    );
  }
  if ('script' in worker) return resolveCustomWorker(worker);
  if (!('activity' in worker)) {
    throw new TypeError(
      'worker must say which: { activity: { pollIntervalMs? } } for the activity worker, or { script } for your own (the activity worker no longer runs unless asked for)',
    );
  }
  return resolveActivityWorker(worker);
}

function resolveActivityWorker(worker: ActivityWorkerOptions): WorkerDraft {
  const { activity } = worker;
  if (
    activity !== true &&
    (typeof activity !== 'object' || activity === null)
  ) {
    throw new TypeError(
      'worker.activity must be true or { pollIntervalMs?, transitionThresholdMs? }',
    );
  }
  const settings: ActivityWorkerSettings = activity === true ? {} : activity;
  assertPositive(
    'worker.activity.pollIntervalMs',
    settings.pollIntervalMs,
    'number',
  );
  assertPositive(
    'worker.activity.transitionThresholdMs',
    settings.transitionThresholdMs,
    'number',
  );
  return {
    ...WORKER_DEFAULTS,
    script: null,
    workerData: {
      pollIntervalMs:
        settings.pollIntervalMs ?? ACTIVITY_DEFAULTS.pollIntervalMs,
      transitionThresholdMs:
        settings.transitionThresholdMs ??
        ACTIVITY_DEFAULTS.transitionThresholdMs,
    },
    policy: policyFields('worker', worker, Infinity, ACTIVITY_EVENT_TYPES),
  };
}

function resolveCustomWorker(worker: MonitorWorkerOptions): WorkerDraft {
  const { script } = worker;
  if (!(script instanceof URL) && (typeof script !== 'string' || !script)) {
    throw new TypeError(
      'worker.script must be an absolute path or a file: URL of a JavaScript module',
    );
  }
  assertPositive('worker.restartDelayMs', worker.restartDelayMs, 'number');
  assertPositive(
    'worker.maxRestartDelayMs',
    worker.maxRestartDelayMs,
    'number',
  );
  assertPositive('worker.stopTimeoutMs', worker.stopTimeoutMs, 'number');
  assertPositive('worker.maxPendingEvents', worker.maxPendingEvents);
  return {
    script,
    workerData: worker.workerData,
    restartDelayMs: worker.restartDelayMs ?? WORKER_DEFAULTS.restartDelayMs,
    maxRestartDelayMs:
      worker.maxRestartDelayMs ?? WORKER_DEFAULTS.maxRestartDelayMs,
    stopTimeoutMs: worker.stopTimeoutMs ?? WORKER_DEFAULTS.stopTimeoutMs,
    maxPendingEvents:
      worker.maxPendingEvents ?? WORKER_DEFAULTS.maxPendingEvents,
    policy: policyFields('worker', worker, Infinity),
  };
}
