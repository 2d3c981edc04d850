import { assertQueueCapacity, BoundedQueue } from './bounded-queue.js';
import { ConflatingQueue } from './conflating-queue.js';
import { GapTracker } from './gap-tracker.js';
import type { Envelope } from './envelope.js';
import type { BusMessage } from './bus-message.js';
import type { BusEvent } from '../protocol/event-map.js';
import type { Gap } from '../protocol/messages.js';
import type { TypeFilter } from './type-filter.js';
import {
  SubscriptionOverflowError,
  type CloseReason,
  type OverflowPolicy,
} from './subscription-policy.js';
import {
  ListenerWatcher,
  type SubscriptionWatcher,
} from './subscription-watcher.js';

export type { Gap };

export {
  OVERFLOW_POLICIES,
  SubscriptionOverflowError,
  type CloseReason,
  type OverflowPolicy,
} from './subscription-policy.js';

/** A `next()` waiting for an event. */
interface Pull<E extends BusEvent> {
  resolve(result: IteratorResult<BusMessage<E>>): void;
  reject(error: Error): void;
}

/** @internal The bus-side hooks of a subscription. */
export interface SubscriptionOwner {
  onDrop(count: number): void;
  onClose(subscription: Subscription<BusEvent>): void;
  /** A listener of this subscription threw; delivery to others goes on. */
  onListenerError(error: unknown): void;
}

/**
 * One subscriber's bounded queue of events. Iterate it with `for await`, or
 * pull batches with `take()` (the gateway does). Close it with `close()` or
 * `await using`.
 */
export class Subscription<E extends BusEvent = BusEvent>
  implements AsyncIterableIterator<BusMessage<E>>, AsyncDisposable
{
  // Made at the first event (most idle clients get none).
  private queue:
    BoundedQueue<Envelope<E>> | ConflatingQueue<Envelope<E>> | null = null;
  // Made at the first drop, and the arrays at their first entry: most
  // subscribers (idle clients) never need them.
  private gap: GapTracker | null = null;
  private pulls: Pull<E>[] | null = null;
  private watcher: SubscriptionWatcher | null = null;
  private closeListeners: ((reason: CloseReason) => void)[] | null = null;
  private _dropped = 0;
  private _closeReason: CloseReason | null = null;
  // What the server lets this subscriber read, beside its own type filter.
  private allowed: TypeFilter | null = null;

  /** @internal Created by `LivebusCore.subscribe`. */
  constructor(
    private readonly owner: SubscriptionOwner,
    readonly capacity: number,
    readonly overflow: OverflowPolicy,
    private typeFilter: ReadonlySet<string> | null,
  ) {
    assertQueueCapacity(capacity);
  }

  /** Events waiting in the queue. */
  get size(): number {
    return this.queue?.length ?? 0;
  }

  /** Events this subscription lost to a full queue, in total (conflated ones included). */
  get dropped(): number {
    return this._dropped;
  }

  get closed(): boolean {
    return this._closeReason !== null;
  }

  /** Why it closed, or `null` while open. */
  get closeReason(): CloseReason | null {
    return this._closeReason;
  }

  /** The types this subscription receives, or `null` for all. */
  get types(): ReadonlySet<string> | null {
    return this.typeFilter;
  }

  /** Whether an event of `type` is delivered to this subscription. */
  accepts(type: string): boolean {
    return (
      (this.typeFilter === null || this.typeFilter.has(type)) &&
      (this.allowed === null || this.allowed.has(type))
    );
  }

  /**
   * Delivers from now on only the types `allowed` lets through, whatever
   * the type filter says (`null`: no such limit). The server's permission,
   * kept apart from the subscriber's own filter, which `setTypes` changes
   * and `types` reports; `allowed.has` is asked once per event.
   */
  restrict(allowed: TypeFilter | null): void {
    this.allowed = allowed;
  }

  /** @internal Called by the bus for every accepted event. */
  offer(message: Envelope<E>): void {
    if (this._closeReason !== null || !this.accepts(message.type)) return;
    const pull = this.pulls?.shift();
    if (pull) {
      pull.resolve({ value: message, done: false });
      return;
    }
    const queue = (this.queue ??=
      this.overflow === 'conflate'
        ? new ConflatingQueue(this.capacity, (message, kind) =>
            this.recordDrop(message, kind === 'conflated'),
          )
        : new BoundedQueue(this.capacity));
    if (queue.isFull && this.overflow === 'disconnect') {
      this.owner.onDrop(1);
      this._dropped++;
      this.finish('overflow');
      return;
    }
    const wasEmpty = queue.length === 0;
    const evicted = queue.push(message);
    if (evicted) this.recordDrop(evicted, false);
    else if (wasEmpty) this.tell('readable');
  }

  /**
   * Removes and returns up to `max` queued events, oldest first, without
   * waiting. Call {@link takeGap} first to learn what was dropped before them.
   */
  take(max = Infinity): BusMessage<E>[] {
    return this.queue?.take(max) ?? [];
  }

  /**
   * Removes and returns the oldest queued event, or `undefined`: `take(1)`
   * without the array, for a consumer that writes one event per turn.
   */
  takeOne(): BusMessage<E> | undefined {
    return this.queue?.shift();
  }

  /** Whether a gap waits to be taken with {@link takeGap}. */
  get hasGap(): boolean {
    return this.gap?.pending === true;
  }

  /**
   * Returns and clears what was dropped since the last call, or `null`.
   * With the `'conflate'` policy the gap also says, per type, how many of
   * its `missed` events were conflated (a later event of that type was
   * queued in their place): when those counts add up to `missed`, the
   * latest event of every type is still to come and nothing needs
   * re-hydrating. It names at most `capacity` types; any further ones count
   * in `missed` only (so the counts fall short: re-hydrate).
   */
  takeGap(): Gap | null {
    return this.gap?.take() ?? null;
  }

  /**
   * Sets the one callback told when the queue goes from empty to non-empty,
   * for consumers that pull with {@link take} rather than iterate.
   */
  onReadable(listener: (() => void) | undefined): void {
    (this.watcher = ListenerWatcher.over(this.watcher)).onReadable = listener;
  }

  /**
   * Sets the callback told when the bus started a new epoch (a shared
   * transport lost its data): what was queued is gone and the subscriber
   * should re-hydrate from the snapshot.
   */
  onReset(listener: (() => void) | undefined): void {
    (this.watcher = ListenerWatcher.over(this.watcher)).onReset = listener;
  }

  /**
   * @internal Sets the one consumer told through methods rather than
   * callbacks (a pump), before the `onClose` listeners; `onReadable` /
   * `onReset` callbacks go before it.
   */
  watch(watcher: SubscriptionWatcher | null): void {
    this.watcher = watcher;
  }

  /** @internal Called by the bus when it starts a new epoch. */
  reset(): void {
    if (this._closeReason !== null) return;
    this.queue?.clear();
    this.gap?.clear();
    this.tell('reset');
  }

  /**
   * @internal Records events lost before they reached the bus (a hole in a
   * shared stream): reported with the next gap notice.
   */
  noteMissed(fromSeq: number, toSeq: number): void {
    if (this._closeReason !== null) return;
    this.gapTracker().note(toSeq - fromSeq + 1, fromSeq, toSeq);
    if (this.size === 0) this.tell('readable');
  }

  /** Registers a callback run once when the subscription closes. */
  onClose(listener: (reason: CloseReason) => void): void {
    if (this._closeReason !== null) listener(this._closeReason);
    else if (this.closeListeners) this.closeListeners.push(listener);
    // Most have one: an array of exactly one, not of a pushed-to size.
    else this.closeListeners = [listener];
  }

  /** Changes which types are delivered from now on (`null`: all). */
  setTypes(types: Iterable<string> | null): void {
    this.typeFilter = types === null ? null : new Set(types);
  }

  next(): Promise<IteratorResult<BusMessage<E>>> {
    const message = this.queue?.shift();
    if (message) return Promise.resolve({ value: message, done: false });
    if (this._closeReason === 'overflow') {
      return Promise.reject(new SubscriptionOverflowError(this.capacity));
    }
    if (this._closeReason !== null) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      (this.pulls ??= []).push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<BusMessage<E>>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Leaves the bus and drops what is still queued. Idempotent. */
  close(): void {
    this.finish('closed');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** @internal Ends the subscription for `reason`. */
  finish(reason: CloseReason): void {
    if (this._closeReason !== null) return;
    this._closeReason = reason;
    if (reason !== 'overflow') this.queue?.clear();
    const watcher = this.watcher;
    this.watcher = null;
    const pulls = this.pulls ?? [];
    this.pulls = null;
    for (const pull of pulls) {
      if (reason === 'overflow') {
        pull.reject(new SubscriptionOverflowError(this.capacity));
      } else pull.resolve({ value: undefined, done: true });
    }
    this.owner.onClose(this as unknown as Subscription<BusEvent>);
    if (watcher) this.call(() => watcher.closed(reason));
    const listeners = this.closeListeners ?? [];
    this.closeListeners = null;
    for (const listener of listeners) this.call(() => listener(reason));
  }

  // One event lost to the full queue; `conflated` when a later event of its
  // type is queued in its place.
  private recordDrop(message: Envelope<E>, conflated: boolean): void {
    this._dropped++;
    this.owner.onDrop(1);
    const gap = this.gapTracker();
    gap.note(1, message.seq, message.seq);
    if (conflated) gap.noteConflated(message.type);
  }

  private gapTracker(): GapTracker {
    return (this.gap ??= new GapTracker(
      this.overflow === 'conflate',
      this.capacity,
    ));
  }

  // Like `call`, without a closure per event.
  private tell(hook: 'readable' | 'reset'): void {
    try {
      this.watcher?.[hook]();
    } catch (error) {
      this.owner.onListenerError(error);
    }
  }

  // Listeners are the subscriber's code, run inside the bus's delivery to
  // everyone: one that throws must not cut the others off.
  private call(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.owner.onListenerError(error);
    }
  }
}
