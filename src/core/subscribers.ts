import type { Envelope } from './envelope.js';
import type { BusEvent } from '../protocol/event-map.js';
import {
  Subscription,
  type CloseReason,
  type OverflowPolicy,
  type SubscriptionOwner,
} from './subscription.js';

/**
 * Every open subscription of a bus: opens them, fans each event out to
 * their bounded queues, tells them of a hole or a new numbering, and counts
 * what they dropped and which of their listeners threw.
 */
export class Subscribers {
  /** Events subscribers lost to full queues, summed over subscribers. */
  dropped = 0;
  /** Subscription listeners that threw. */
  listenerErrors = 0;
  private readonly open = new Set<Subscription<BusEvent>>();
  private readonly owner: SubscriptionOwner = {
    onDrop: (count) => {
      this.dropped += count;
    },
    onClose: (subscription) => {
      this.open.delete(subscription);
    },
    onListenerError: (error) => {
      this.listenerErrors++;
      this.onListenerError(error);
    },
  };

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get size(): number {
    return this.open.size;
  }

  add<E extends BusEvent>(
    capacity: number,
    overflow: OverflowPolicy,
    types: ReadonlySet<string> | null,
  ): Subscription<E> {
    const subscription = new Subscription<E>(
      this.owner,
      capacity,
      overflow,
      types,
    );
    this.open.add(subscription as unknown as Subscription<BusEvent>);
    return subscription;
  }

  offer(envelope: Envelope): void {
    for (const subscription of this.open) subscription.offer(envelope);
  }

  /** Events `fromSeq`..`toSeq` were lost upstream: each subscriber is told. */
  noteMissed(fromSeq: number, toSeq: number): void {
    for (const subscription of this.open) {
      subscription.noteMissed(fromSeq, toSeq);
    }
  }

  /** A new numbering began: each subscriber re-hydrates. */
  resetAll(): void {
    for (const subscription of [...this.open]) subscription.reset();
  }

  finishAll(reason: CloseReason): void {
    for (const subscription of [...this.open]) subscription.finish(reason);
  }
}
