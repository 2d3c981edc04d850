import type { BusEvent } from '../protocol/event-map.js';
import type { BusMessage } from './bus-message.js';
import type { TypeFilter } from './type-filter.js';
import type { History } from './history.js';

/**
 * How a client that last saw `lastSeq` of `epoch` catches up: replay what it
 * missed, or reset (replace its state from a fresh snapshot) when that cannot
 * be known exactly.
 */
export type ResumePlan<E extends BusEvent = BusEvent> =
  | { readonly kind: 'replay'; readonly messages: readonly BusMessage<E>[] }
  | {
      readonly kind: 'reset';
      /**
       * `epoch`: another numbering (the server restarted); `ahead`: a seq
       * this bus never issued; `history`: older than the kept history.
       */
      readonly reason: 'epoch' | 'ahead' | 'history';
    };

/** Where the bus stands, for {@link planResume}. */
export interface ResumePoint {
  readonly epoch: string;
  readonly seq: number;
  readonly history: History;
}

/**
 * What a client that last saw `lastSeq` in `epoch` missed, given where the
 * bus stands. Up to date is always a replay of nothing, however long ago its
 * last event was; a client the kept history cannot serve exactly gets a
 * reset.
 */
export function planResume(
  bus: ResumePoint,
  epoch: string,
  lastSeq: number,
  types?: TypeFilter | null,
): ResumePlan {
  if (epoch !== bus.epoch) return { kind: 'reset', reason: 'epoch' };
  if (lastSeq > bus.seq) return { kind: 'reset', reason: 'ahead' };
  if (lastSeq === bus.seq) return { kind: 'replay', messages: [] };
  const missed = bus.history.since(lastSeq);
  if (!missed) return { kind: 'reset', reason: 'history' };
  const messages = types ? missed.filter((m) => types.has(m.type)) : missed;
  return { kind: 'replay', messages };
}
