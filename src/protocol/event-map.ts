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
