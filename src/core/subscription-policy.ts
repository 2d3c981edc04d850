/* What a subscription does when its queue is full, and why it ends. */

/**
 * What a full queue does with a new event: `'drop-oldest'` evicts the oldest
 * queued event and keeps the subscriber (the default); `'conflate'` keeps the
 * latest queued event of each type and drops the older ones of the same
 * types (see {@link ConflatingQueue}), so a slow consumer still ends with
 * the latest state; `'disconnect'` closes the subscription, for consumers
 * that would rather resync than skip.
 */
export type OverflowPolicy = 'drop-oldest' | 'conflate' | 'disconnect';

/** The policies {@link OverflowPolicy} names, for validation. */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = [
  'drop-oldest',
  'conflate',
  'disconnect',
];

/** Why a subscription ended. */
export type CloseReason = 'closed' | 'overflow' | 'bus-closed';

/** Thrown from a subscription's iterator when it was closed by the `'disconnect'` policy. */
export class SubscriptionOverflowError extends Error {
  override readonly name = 'SubscriptionOverflowError';
  constructor(capacity: number) {
    super(
      `The subscription's queue (capacity ${capacity}) overflowed and the overflow policy is 'disconnect'; subscribe again and re-hydrate from the snapshot`,
    );
  }
}
