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
import { resolveAuthOptions } from './resolve-auth-options.js';
import { CLIENT_REQUEST_DEFAULTS } from '../delivery/client-request.js';
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
  /** Express's own JSON limit (100 kB): what an app's other routes take by default. */
  maxRequestBytes: 100 * 1024,
  ...CLIENT_REQUEST_DEFAULTS,
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
  assertPositive('maxFilterTypes', options.maxFilterTypes);
  assertPositive('maxHandshakeBytes', options.maxHandshakeBytes);
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
    maxFilterTypes: options.maxFilterTypes ?? MODULE_DEFAULTS.maxFilterTypes,
    maxHandshakeBytes:
      options.maxHandshakeBytes ?? MODULE_DEFAULTS.maxHandshakeBytes,
    shutdownGraceMs,
    sseKeepAliveMs: options.sseKeepAliveMs ?? MODULE_DEFAULTS.sseKeepAliveMs,
    worker: worker && { ...worker, policy: policies.worker! },
    metrics: features.metrics,
    inspector: features.inspector,
    auth: resolveAuthOptions(options.auth),
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
    ...resolveWorkerGuards(worker),
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

/** Longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;
type WorkerDelay = 'heartbeatIntervalMs' | 'hangTimeoutMs' | 'startTimeoutMs';
const RESOURCE_LIMITS = [
  'maxYoungGenerationSizeMb',
  'maxOldGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

/** The watchdog's times, the message budget and the thread's heap caps. */
function resolveWorkerGuards(
  worker: MonitorWorkerOptions,
): Pick<
  ResolvedWorkerOptions,
  | 'heartbeatIntervalMs'
  | 'hangTimeoutMs'
  | 'startTimeoutMs'
  | 'maxRawMessagesPerSecond'
  | 'resourceLimits'
> {
  const delay = (name: WorkerDelay): number => {
    const value = worker[name];
    assertPositive(`worker.${name}`, value, 'number');
    if (value !== undefined && value > MAX_TIMER_MS) {
      throw new TypeError(
        `worker.${name} must be at most ${MAX_TIMER_MS} ms, got ${value}`,
      );
    }
    return value ?? WORKER_DEFAULTS[name];
  };
  const heartbeatIntervalMs = delay('heartbeatIntervalMs');
  const hangTimeoutMs = delay('hangTimeoutMs');
  if (hangTimeoutMs < 2 * heartbeatIntervalMs) {
    throw new TypeError(
      `worker.hangTimeoutMs (${hangTimeoutMs}) must be at least twice worker.heartbeatIntervalMs (${heartbeatIntervalMs}), or one late heartbeat would look like a hang`,
    );
  }
  assertPositive(
    'worker.maxRawMessagesPerSecond',
    worker.maxRawMessagesPerSecond,
  );
  return {
    heartbeatIntervalMs,
    hangTimeoutMs,
    startTimeoutMs: delay('startTimeoutMs'),
    maxRawMessagesPerSecond:
      worker.maxRawMessagesPerSecond ?? WORKER_DEFAULTS.maxRawMessagesPerSecond,
    resourceLimits: resolveResourceLimits(worker.resourceLimits),
  };
}

function resolveResourceLimits(
  limits: MonitorWorkerOptions['resourceLimits'],
): ResolvedWorkerOptions['resourceLimits'] {
  if (limits === undefined) return WORKER_DEFAULTS.resourceLimits;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError(
      `worker.resourceLimits must be an object of ${RESOURCE_LIMITS.join(', ')}`,
    );
  }
  for (const key of Object.keys(limits)) {
    if (!(RESOURCE_LIMITS as readonly string[]).includes(key)) {
      throw new TypeError(
        `worker.resourceLimits has an unknown field ${JSON.stringify(key.slice(0, 40))}: use ${RESOURCE_LIMITS.join(', ')}`,
      );
    }
    assertPositive(
      `worker.resourceLimits.${key}`,
      limits[key as keyof typeof limits],
      'number',
    );
  }
  return { ...WORKER_DEFAULTS.resourceLimits, ...limits };
}
