/** An event that passed validation, with its JSON text (what a worker batch carries). */
export interface EncodedEvent {
  readonly type: string;
  readonly json: string;
}

/** @internal Messages a worker posts to `MonitorService`. */
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
    };

/** Commands `MonitorService` sends to its worker. */
export type MonitorCommand = 'pause' | 'resume';

/** @internal Messages `MonitorService` posts to its worker. */
export type ParentToWorkerMessage =
  | { readonly kind: 'livebus:control'; readonly command: MonitorCommand }
  /** The last batch has been relayed: the worker may send the next. */
  | { readonly kind: 'livebus:ack' };

/** @internal Tells protocol messages apart from plain events a worker posted. */
export function isWorkerProtocolMessage(
  value: unknown,
): value is WorkerToParentMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    (value as { kind: string }).kind.startsWith('livebus:')
  );
}

/** The defaults of a worker's supervision and of the worker helper's bound. */
export const WORKER_DEFAULTS = {
  restartDelayMs: 500,
  maxRestartDelayMs: 30_000,
  stopTimeoutMs: 5000,
  maxPendingEvents: 10_000,
} as const;
