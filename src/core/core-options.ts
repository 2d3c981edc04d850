import { assertPositive } from './assert-option.js';
import { describeValue, MAX_TYPE_LENGTH } from '../protocol/event-types.js';
import { OVERFLOW_POLICIES, type OverflowPolicy } from './subscription.js';

/**
 * The most an entry of the snapshot adds besides its event's JSON: its type
 * name quoted (at most `MAX_TYPE_LENGTH` characters, each at most 6 bytes
 * once escaped), and two separators.
 */
const MAX_ENTRY_OVERHEAD = 6 * MAX_TYPE_LENGTH + 4;

/** Options of the framework-free {@link LivebusCore}. */
export interface LivebusCoreOptions {
  /** Slots in each subscriber's queue. @default 256 */
  queueCapacity?: number;
  /**
   * What a full subscriber queue does: `'drop-oldest'` drops its oldest
   * event, `'conflate'` keeps the latest event of each type (a slow client
   * still ends with the latest state), `'disconnect'` closes it.
   * @default 'drop-oldest'
   */
  overflow?: OverflowPolicy;
  /** Largest accepted event, as UTF-8 JSON bytes. @default 65536 */
  maxEventBytes?: number;
  /** Most event types the snapshot keeps (least recently updated goes first). @default 1000 */
  snapshotMaxTypes?: number;
  /**
   * Most bytes of JSON the snapshot keeps, and so the size of every
   * snapshot a client is sent (the least recently updated types go first).
   * Each type counts its name and its latest event's UTF-8 JSON. At least
   * `maxEventBytes`, so that any one event fits. @default 8388608 (8 MiB)
   */
  snapshotMaxBytes?: number;
  /** Types the snapshot never keeps: one-off triggers. @default [] */
  transientTypes?: readonly string[];
  /** Most events kept for resuming clients; 0 keeps none. @default 10000 */
  historyMaxEvents?: number;
  /** Oldest event kept for resuming clients, in ms. @default 300000 (5 min) */
  historyMaxAgeMs?: number;
  /** Most event JSON kept for resuming clients, in UTF-8 bytes. @default 33554432 (32 MiB) */
  historyMaxBytes?: number;
  /**
   * How long the transport remembers a publish's idempotency id
   * (`publish(event, { id })`, the `Idempotency-Key` header), in ms: a
   * publish again with the same id within it returns the first one's
   * receipt instead of publishing again. @default 600000 (10 min)
   */
  idempotencyWindowMs?: number;
  /**
   * Most idempotency ids remembered (the oldest are forgotten first): the
   * bound on their memory, whatever the publish rate. @default 100000
   */
  idempotencyMaxIds?: number;
}

/** Resolved core options: every field present. */
export type ResolvedCoreOptions = Required<LivebusCoreOptions>;

/** The defaults of {@link LivebusCoreOptions}. */
export const CORE_DEFAULTS: ResolvedCoreOptions = {
  queueCapacity: 256,
  overflow: 'drop-oldest',
  maxEventBytes: 64 * 1024,
  snapshotMaxTypes: 1000,
  snapshotMaxBytes: 8 * 1024 * 1024,
  transientTypes: [],
  historyMaxEvents: 10_000,
  historyMaxAgeMs: 5 * 60_000,
  historyMaxBytes: 32 * 1024 * 1024,
  idempotencyWindowMs: 10 * 60_000,
  idempotencyMaxIds: 100_000,
};

export function resolveCoreOptions(
  options: LivebusCoreOptions,
): ResolvedCoreOptions {
  // Only the core's own keys: the module passes all its options, and a
  // transport URL (with its password) has no business here.
  const resolved = { ...CORE_DEFAULTS };
  for (const key of Object.keys(
    CORE_DEFAULTS,
  ) as (keyof ResolvedCoreOptions)[]) {
    if (options[key] !== undefined)
      Object.assign(resolved, { [key]: options[key] });
  }
  if (
    !Array.isArray(resolved.transientTypes) ||
    resolved.transientTypes.some((type) => typeof type !== 'string')
  ) {
    throw new TypeError(
      `transientTypes must be an array of type names, got ${JSON.stringify(resolved.transientTypes)}`,
    );
  }
  assertPositive('queueCapacity', resolved.queueCapacity);
  assertPositive('maxEventBytes', resolved.maxEventBytes);
  assertPositive('snapshotMaxTypes', resolved.snapshotMaxTypes);
  assertPositive('snapshotMaxBytes', resolved.snapshotMaxBytes);
  // An event at the size limit, with its type's name beside it, must fit.
  const largestEntry = resolved.maxEventBytes + MAX_ENTRY_OVERHEAD;
  if (resolved.snapshotMaxBytes < largestEntry) {
    throw new TypeError(
      `snapshotMaxBytes must be at least maxEventBytes + ${MAX_ENTRY_OVERHEAD} (${largestEntry}) so that any accepted event fits in the snapshot, got ${resolved.snapshotMaxBytes}`,
    );
  }
  if (
    !Number.isInteger(resolved.historyMaxEvents) ||
    resolved.historyMaxEvents < 0
  ) {
    throw new TypeError(
      `historyMaxEvents must be a non-negative integer, got ${String(resolved.historyMaxEvents)}`,
    );
  }
  assertPositive('historyMaxAgeMs', resolved.historyMaxAgeMs);
  assertPositive('historyMaxBytes', resolved.historyMaxBytes);
  assertPositive('idempotencyWindowMs', resolved.idempotencyWindowMs);
  assertPositive('idempotencyMaxIds', resolved.idempotencyMaxIds);
  if (!OVERFLOW_POLICIES.includes(resolved.overflow)) {
    throw new TypeError(
      `overflow must be 'drop-oldest', 'conflate' or 'disconnect', got ${describeValue(resolved.overflow)}`,
    );
  }
  return resolved;
}
