/** An event that passed validation, with its JSON text (what a worker batch carries). */
export interface EncodedEvent {
  readonly type: string;
  readonly json: string;
}

/**
 * @internal Messages the worker helper posts to `MonitorService`.
 *
 * A protocol message never has an own `type` field, and every event must
 * have one: that is how the parent tells them apart. A message with a
 * `type` is an event (published, or refused and counted), whatever its
 * `kind`; one without a `type` whose `kind` starts with `livebus:` is a
 * protocol message, checked field by field (an unknown kind is refused and
 * counted, never dropped in silence).
 */
export type WorkerToParentMessage =
  | { readonly kind: 'livebus:ready' }
  | {
      /** Events validated and encoded in the worker, in publish order. */
      readonly kind: 'livebus:batch';
      readonly events: readonly EncodedEvent[];
      /**
       * The idempotency id of each event (`null`: none), when one has an id
       * (`publish(event, { id })`).
       */
      readonly ids?: readonly (string | null)[];
      /** Events the worker dropped (oldest first) since the previous batch. */
      readonly dropped: number;
    }
  | {
      readonly kind: 'livebus:log';
      readonly level: 'warn' | 'info';
      readonly message: string;
    }
  /** Sent from a timer in the worker: the worker's event loop is turning. */
  | { readonly kind: 'livebus:heartbeat' };

/** The `kind` of every {@link WorkerToParentMessage}. */
export type WorkerMessageKind = WorkerToParentMessage['kind'];

/** Commands `MonitorService` sends to its worker. */
export type MonitorCommand = 'pause' | 'resume';

/** @internal Messages `MonitorService` posts to its worker. */
export type ParentToWorkerMessage =
  | { readonly kind: 'livebus:control'; readonly command: MonitorCommand }
  /** The last batch has been relayed: the worker may send the next. */
  | { readonly kind: 'livebus:ack' };

/** Prefix of every protocol message's `kind`. */
export const WORKER_KIND_PREFIX = 'livebus:';

/**
 * @internal Whether a worker's message claims to be a protocol message
 * (no own `type`, a `kind` starting with `livebus:`). It says nothing of
 * the rest of its fields: check them before use.
 */
export function isWorkerProtocolMessage(
  value: unknown,
): value is { readonly kind: string } {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, 'type')) return false;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === 'string' && kind.startsWith(WORKER_KIND_PREFIX);
}

/**
 * Why the supervisor stopped a worker: what clients see in the `monitor`
 * event (`reason`). The details (an error's message and stack, file paths)
 * stay in the server's log.
 * - `crashed`: it threw an uncaught error.
 * - `exited`: it exited on its own (`process.exit`, or nothing left to do).
 * - `out_of_memory`: it went over its `resourceLimits`.
 * - `hung`: it sent no heartbeat for `hangTimeoutMs` (its event loop is blocked).
 * - `start_timeout`: it posted nothing within `startTimeoutMs` of its start.
 * - `flooding`: it posted more than `maxRawMessagesPerSecond` messages
 *   outside the helper's flow control.
 */
export type WorkerStopReason =
  | 'crashed'
  | 'exited'
  | 'out_of_memory'
  | 'hung'
  | 'start_timeout'
  | 'flooding';

/** Every {@link WorkerStopReason}, for tables and metrics. */
export const WORKER_STOP_REASONS: readonly WorkerStopReason[] = [
  'crashed',
  'exited',
  'out_of_memory',
  'hung',
  'start_timeout',
  'flooding',
];

/** The defaults of a worker's supervision and of the worker helper's bound. */
export const WORKER_DEFAULTS = {
  restartDelayMs: 500,
  maxRestartDelayMs: 30_000,
  stopTimeoutMs: 5000,
  maxPendingEvents: 10_000,
  /** How often the worker helper sends a heartbeat, in ms. */
  heartbeatIntervalMs: 1000,
  /** No heartbeat for this long (once the worker started): it is hung, in ms. */
  hangTimeoutMs: 30_000,
  /** Nothing posted for this long after the start: it never started, in ms. */
  startTimeoutMs: 30_000,
  /** Most messages a second a worker may post outside the helper's flow control. */
  maxRawMessagesPerSecond: 10_000,
  /** The worker thread's V8 heap caps (Node's `resourceLimits`). */
  resourceLimits: { maxOldGenerationSizeMb: 512 },
} as const;
