import type { AnyEventMap, BusEvent, EventMap } from '../protocol/event-map.js';

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
  /** Changes whenever sequence numbering restarts (a new bus, or a shared transport that lost its data). */
  readonly epoch: string;
  readonly events: Partial<{ [K in keyof M]: M[K] }>;
}
