import type { IncomingMessage } from 'node:http';
import type {
  ResolvedLimitsOptions,
  ResolvedOriginsOptions,
  TypeRule,
} from '../bus/access-options.js';
import type { IngestRoute } from '../bus/event-bus-options.js';
import type {
  EventBusIngestOptions,
  EventBusLimitsOptions,
  EventBusOriginsOptions,
} from './access-options.interface.js';
import { ACCESS_DEFAULTS } from './access-defaults.js';
import {
  assertRate,
  describe,
  fail,
  isPlainObject,
  policyFields,
  stateless,
} from './resolve-publish-policies.js';

export { ACCESS_DEFAULTS };
export { completePolicies, policyFields } from './resolve-publish-policies.js';

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

/** An origin exactly as a browser sends it: `scheme://host[:port]`, lower case. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
