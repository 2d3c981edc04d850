import type { IncomingMessage } from 'node:http';
import type {
  ResolvedIngestOptions,
  ResolvedLimitsOptions,
  ResolvedOriginsOptions,
  ResolvedPublishPolicy,
  TypeRule,
} from '../bus/access-options.js';
import type { IngestRoute } from '../bus/event-bus-options.js';
import { isEventType } from '../protocol/event-types.js';
import type {
  EventBusIngestOptions,
  EventBusLimitsOptions,
  EventBusOriginsOptions,
  PublishPolicyOptions,
} from './access-options.interface.js';

/** The defaults of the limits, the publish policies and the origins (README: "Origins and limits"). */
export const ACCESS_DEFAULTS = {
  ingestPath: 'api/events',
  maxConnections: 10_000,
  maxConnectionsPerPrincipal: 100,
  connectionsPerSecond: 20,
  subscribesPerSecond: 5,
  maxTrackedKeys: 10_000,
  ingestRequestsPerSecond: 50,
  ingestEventsPerSecond: 500,
  /** Distinct types one source may hold, at most a quarter of `snapshotMaxTypes`. */
  maxTypesPerSource: 100,
  corsMaxAgeSeconds: 600,
} as const;

/** The type a source reserves for `MonitorService`'s own state event. */
const MONITOR_TYPE = 'monitor';

/** The peer's IP, without the IPv4-mapped IPv6 prefix. */
export function peerAddress(request: IncomingMessage): string {
  const address = request.socket?.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Checks `limits` and applies its defaults; `false` turns every limit off. */
export function resolveLimits(
  limits: EventBusLimitsOptions | false | undefined,
): ResolvedLimitsOptions {
  if (limits !== undefined && limits !== false && !isPlainObject(limits)) {
    throw new TypeError('limits must be false or an object of limits');
  }
  const off = limits === false;
  const given: EventBusLimitsOptions = isPlainObject(limits) ? limits : {};
  const rate = (
    name: keyof EventBusLimitsOptions & keyof typeof ACCESS_DEFAULTS,
  ): number => {
    const value = given[name];
    assertRate(`limits.${name}`, value);
    return off
      ? Infinity
      : ((value as number | undefined) ?? ACCESS_DEFAULTS[name]);
  };
  for (const name of ['address', 'principal'] as const) {
    if (given[name] !== undefined && typeof given[name] !== 'function') {
      throw new TypeError(`limits.${name} must be a function`);
    }
  }
  const maxTrackedKeys = given.maxTrackedKeys ?? ACCESS_DEFAULTS.maxTrackedKeys;
  if (!Number.isSafeInteger(maxTrackedKeys) || maxTrackedKeys < 1) {
    throw new TypeError(
      `limits.maxTrackedKeys must be a positive integer, got ${String(maxTrackedKeys)}`,
    );
  }
  return {
    maxConnections: rate('maxConnections'),
    maxConnectionsPerPrincipal: rate('maxConnectionsPerPrincipal'),
    connectionsPerSecond: rate('connectionsPerSecond'),
    subscribesPerSecond: rate('subscribesPerSecond'),
    maxTrackedKeys,
    address: given.address ?? peerAddress,
    // The seam for authentication: an app keys by its principal here.
    principal: given.principal ?? ((context) => context.address),
  };
}

/** Checks `origins` and applies its defaults (same-origin and non-browser clients only). */
export function resolveOrigins(
  origins: '*' | readonly TypeRule[] | EventBusOriginsOptions | undefined,
): ResolvedOriginsOptions {
  const given: EventBusOriginsOptions =
    origins === undefined
      ? {}
      : origins === '*' || Array.isArray(origins)
        ? { allow: origins as '*' | readonly TypeRule[] }
        : isPlainObject(origins)
          ? (origins as EventBusOriginsOptions)
          : fail(
              "origins must be '*', a list of origins such as 'https://a.example', or { allow, ... }",
            );
  const allow = given.allow ?? [];
  if (allow !== '*' && typeof allow !== 'function') {
    if (!Array.isArray(allow)) {
      throw new TypeError("origins.allow must be '*', a list, or a function");
    }
    for (const entry of allow as readonly unknown[]) {
      if (entry instanceof RegExp) continue;
      if (typeof entry !== 'string' || !isOrigin(entry)) {
        throw new TypeError(
          `origins: each entry must be an origin such as 'https://a.example' (scheme, host, port; no path) or a RegExp, got ${describe(entry)}`,
        );
      }
    }
  }
  for (const name of ['sameOrigin', 'allowMissing', 'credentials'] as const) {
    if (given[name] !== undefined && typeof given[name] !== 'boolean') {
      throw new TypeError(`origins.${name} must be a boolean`);
    }
  }
  const maxAgeSeconds =
    given.maxAgeSeconds ?? ACCESS_DEFAULTS.corsMaxAgeSeconds;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(
      'origins.maxAgeSeconds must be a whole number of seconds, 0 or more',
    );
  }
  return {
    allow: Array.isArray(allow)
      ? (allow as readonly TypeRule[]).map(stateless)
      : allow,
    sameOrigin: given.sameOrigin ?? true,
    allowMissing: given.allowMissing ?? true,
    credentials: given.credentials ?? false,
    maxAgeSeconds,
  };
}

/** Checks the `ingest` extra: `null` when off (the default). */
export function resolveIngestRoute(
  ingest: EventBusIngestOptions | boolean | undefined,
  routePath: (name: string, value: unknown) => string,
): IngestRoute | null {
  if (ingest === undefined || ingest === false) return null;
  if (ingest !== true && !isPlainObject(ingest)) {
    throw new TypeError(
      'ingest must be true, false, or { path?, types?, ... }',
    );
  }
  const given: EventBusIngestOptions = ingest === true ? {} : ingest;
  const path = routePath(
    'ingest.path',
    given.path ?? ACCESS_DEFAULTS.ingestPath,
  );
  if (path === '')
    throw new TypeError('ingest.path must not be the root route');
  assertRate('ingest.requestsPerSecond', given.requestsPerSecond);
  return {
    ...policyFields('ingest', given, ACCESS_DEFAULTS.ingestEventsPerSecond),
    path,
    requestsPerSecond:
      given.requestsPerSecond ?? ACCESS_DEFAULTS.ingestRequestsPerSecond,
  };
}

/** A source's policy fields as given, checked; `maxTypes` left `undefined` for its default. */
export function policyFields(
  source: string,
  given: PublishPolicyOptions,
  eventsPerSecond: number,
  types: '*' | readonly TypeRule[] = '*',
): Omit<ResolvedPublishPolicy, 'reserved' | 'maxTypes'> & {
  maxTypes: number | undefined;
} {
  const rules = given.types ?? types;
  if (rules !== '*') {
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new TypeError(
        `${source}.types must be '*' or a non-empty list of type names, 'prefix*' and RegExps`,
      );
    }
    for (const rule of rules as readonly unknown[]) {
      if (rule instanceof RegExp) continue;
      const name = typeof rule === 'string' ? rule.replace(/\*$/, '') : rule;
      const valid =
        typeof rule === 'string' &&
        (rule.endsWith('*')
          ? name !== '' && !String(name).includes('*')
          : isEventType(rule));
      if (!valid) {
        throw new TypeError(
          `${source}.types: ${describe(rule)} is neither a type name, a 'prefix*' nor a RegExp`,
        );
      }
    }
  }
  if (
    given.maxTypes !== undefined &&
    !(Number.isSafeInteger(given.maxTypes) && given.maxTypes > 0)
  ) {
    throw new TypeError(
      `${source}.maxTypes must be a positive integer, got ${String(given.maxTypes)}`,
    );
  }
  if (given.validate !== undefined && typeof given.validate !== 'function') {
    throw new TypeError(`${source}.validate must be a function`);
  }
  assertRate(`${source}.eventsPerSecond`, given.eventsPerSecond);
  return {
    source,
    types: rules === '*' ? '*' : (rules as readonly TypeRule[]).map(stateless),
    maxTypes: given.maxTypes,
    validate: given.validate ?? null,
    eventsPerSecond: given.eventsPerSecond ?? eventsPerSecond,
  };
}

type PartialPolicy = ReturnType<typeof policyFields>;

/**
 * Completes the ingest and worker policies together: a `'*'` source may
 * not write the types the other declares (nor `monitor` while a worker
 * runs), and each holds at most `maxTypes` distinct types, whose default
 * keeps both together well under `snapshotMaxTypes`.
 */
export function completePolicies(
  ingest: IngestRoute | null,
  worker: PartialPolicy | null,
  snapshotMaxTypes: number,
): {
  ingest: ResolvedIngestOptions | null;
  worker: ResolvedPublishPolicy | null;
} {
  const declared = (policy: PartialPolicy | IngestRoute | null): TypeRule[] =>
    policy && policy.types !== '*' ? [...policy.types] : [];
  const monitor = worker ? [MONITOR_TYPE] : [];
  const complete = <P extends PartialPolicy | IngestRoute>(
    policy: P,
    reserved: TypeRule[],
  ): P & { reserved: readonly TypeRule[]; maxTypes: number } => ({
    ...policy,
    reserved,
    maxTypes:
      policy.maxTypes ?? defaultMaxTypes(policy.types, snapshotMaxTypes),
  });
  const resolvedIngest =
    ingest && complete(ingest, [...declared(worker), ...monitor]);
  const resolvedWorker =
    worker && complete(worker, [...declared(ingest), ...monitor]);
  const caps = [resolvedIngest, resolvedWorker]
    .map((policy) => policy?.maxTypes ?? 0)
    .filter(Number.isFinite);
  const explicit =
    ingest?.maxTypes !== undefined || worker?.maxTypes !== undefined;
  const total = caps.reduce((sum, cap) => sum + cap, 0);
  if (explicit && total >= snapshotMaxTypes) {
    throw new TypeError(
      `ingest.maxTypes and worker.maxTypes (${total} together) must stay below snapshotMaxTypes (${snapshotMaxTypes}), or a publisher could push other types out of the snapshot`,
    );
  }
  return { ingest: resolvedIngest, worker: resolvedWorker };
}

function defaultMaxTypes(
  types: '*' | readonly TypeRule[],
  snapshotMaxTypes: number,
): number {
  if (
    types !== '*' &&
    types.every((rule) => typeof rule === 'string' && !rule.endsWith('*'))
  ) {
    return Infinity; // the list itself bounds it
  }
  return Math.max(
    1,
    Math.min(
      ACCESS_DEFAULTS.maxTypesPerSource,
      Math.floor(snapshotMaxTypes / 4),
    ),
  );
}

/** A positive number of events, requests or connections (per second, or in all); `Infinity` for none. */
function assertRate(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(
      `${name} must be a positive number (Infinity for no limit), got ${describe(value)}`,
    );
  }
}

/** An origin exactly as a browser sends it: `scheme://host[:port]`, lower case. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** A RegExp without `g`/`y`, whose `test` would otherwise keep state between calls. */
function stateless(rule: TypeRule): TypeRule {
  return rule instanceof RegExp && /[gy]/.test(rule.flags)
    ? new RegExp(rule.source, rule.flags.replace(/[gy]/g, ''))
    : rule;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : value === null
      ? 'null'
      : typeof value;
}

function fail(message: string): never {
  throw new TypeError(message);
}
