import type {
  AnyEventMap,
  EventMap,
  EventType,
} from '../protocol/event-map.js';
import type { OverflowPolicy } from './subscription.js';

/** Options of one subscription. */
export interface SubscribeOptions<
  M extends EventMap<M> = AnyEventMap,
  K extends EventType<M> = EventType<M>,
> {
  /** Slots in this subscriber's queue. @default the bus's `queueCapacity` */
  capacity?: number;
  /** What this subscriber's full queue does. @default the bus's `overflow` */
  overflow?: OverflowPolicy;
  /** Only these types are delivered (and typed). @default all types */
  types?: Iterable<K> | null;
}

/** Counters a bus keeps since it started. */
export interface EventBusStats {
  /** Events accepted and given a sequence number. */
  published: number;
  /** Events refused as invalid or too large. */
  rejected: number;
  /** Events refused because the bus was closed. */
  refusedClosed: number;
  /** Events subscribers lost to full queues, summed over subscribers. */
  dropped: number;
  /** Current subscribers. */
  subscribers: number;
  /** Subscription listeners (`onClose`, `onReadable`, `onReset`) that threw. */
  listenerErrors: number;
}
