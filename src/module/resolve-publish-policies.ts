/** The publish policies of the ingest endpoint and the worker, checked and completed together. */
import type { ResolvedPublishPolicy, TypeRule } from '../bus/access-options.js';
import type { IngestRoute } from '../bus/event-bus-options.js';
import type { ResolvedIngestOptions } from '../bus/access-options.js';
import { isEventType } from '../protocol/event-types.js';
import { ACCESS_DEFAULTS } from './access-defaults.js';
import type { PublishPolicyOptions } from './access-options.interface.js';

/** The type a source reserves for `MonitorService`'s own state event. */
const MONITOR_TYPE = 'monitor';

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
export function assertRate(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(
      `${name} must be a positive number (Infinity for no limit), got ${describe(value)}`,
    );
  }
}

/** A RegExp without `g`/`y`, whose `test` would otherwise keep state between calls. */
export function stateless(rule: TypeRule): TypeRule {
  return rule instanceof RegExp && /[gy]/.test(rule.flags)
    ? new RegExp(rule.source, rule.flags.replace(/[gy]/g, ''))
    : rule;
}

export function isPlainObject(
  value: unknown,
): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.slice(0, 40))
    : value === null
      ? 'null'
      : typeof value;
}

export function fail(message: string): never {
  throw new TypeError(message);
}
