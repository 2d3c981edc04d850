/** Any event the bus carries: a plain JSON object with a non-empty string `type`. */
export interface BusEvent {
  readonly type: string;
}

/**
 * Maps each event type to the shape of its events, so that `publish`,
 * `subscribe` and the client share one definition. Each entry's `type` is
 * its key; an interface works:
 *
 * ```ts
 * interface AppEvents {
 *   status: { type: 'status'; state: 'idle' | 'collecting' };
 *   prediction: { type: 'prediction'; label: string };
 * }
 * ```
 *
 * Used as `M extends EventMap<M>`, which an interface satisfies (it has no
 * implicit index signature, so a plain `{ [type: string]: ... }` would not).
 */
export type EventMap<M = unknown> = {
  [K in keyof M]: BusEvent & { readonly type: K };
};

/** The map used when none is given: any type, any JSON fields. */
export type AnyEventMap = {
  [type: string]: BusEvent & Record<string, unknown>;
};

/** The union of every event in map `M`. */
export type EventOf<M extends EventMap<M>> = M[keyof M & string];

/** The type names of map `M`. */
export type EventType<M extends EventMap<M>> = keyof M & string;

/** A published event as subscribers see it, with its bus metadata beside it. */
export interface BusMessage<E extends BusEvent = BusEvent> {
  /** Position in the bus's total order; increases by one per accepted event. */
  readonly seq: number;
  readonly type: E['type'];
  /** The event as published; deep-frozen, shared by all subscribers. */
  readonly event: E;
  /** The event's JSON text, encoded once at publish time. */
  readonly json: string;
}

/** Latest event per type, the sequence number it reflects and the stream identity. */
export interface SnapshotState<M extends EventMap<M> = AnyEventMap> {
  /** The `seq` of the newest event the snapshot reflects (0 before any). */
  readonly seq: number;
  /** Changes whenever sequence numbering restarts (a new bus instance). */
  readonly epoch: string;
  readonly events: Partial<{ [K in keyof M]: M[K] }>;
}
