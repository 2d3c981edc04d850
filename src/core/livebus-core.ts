import { randomUUID } from 'node:crypto';
import {
  resolveCoreOptions,
  type LivebusCoreOptions,
  type ResolvedCoreOptions,
} from './core-options.js';
import { Envelope } from './envelope.js';
import { BusClosedError, InvalidEventError } from './errors.js';
import {
  encodeEvent,
  verifyEncoded,
  type EncodedEvent,
} from './event-codec.js';
import type {
  AnyEventMap,
  BusEvent,
  EventMap,
  EventOf,
  EventType,
} from '../protocol/event-map.js';
import type { BusMessage, SnapshotState } from './bus-message.js';
import { History } from './history.js';
import { SnapshotStore } from './snapshot-store.js';
import {
  Subscription,
  type OverflowPolicy,
  type SubscriptionOwner,
} from './subscription.js';

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

/** What the snapshot and the history hold right now. */
export interface StorageSizes {
  snapshotTypes: number;
  /** The snapshot's JSON text, in UTF-16 code units (about bytes). */
  snapshotBytes: number;
  historyEvents: number;
  /** The history's JSON text, in UTF-16 code units (about bytes). */
  historyBytes: number;
}

/**
 * The in-process event bus: validates and sequences events, keeps the latest
 * of each type, and fans each one out to every subscriber's bounded queue.
 * Plain TypeScript; Nest wraps it in `EventBusService`.
 */
export class LivebusCore<M extends EventMap<M> = AnyEventMap> {
  readonly options: ResolvedCoreOptions;
  private readonly store: SnapshotStore;
  private readonly history: History;
  private readonly now: () => number;
  private readonly subscriptions = new Set<Subscription<BusEvent>>();
  private readonly counters: EventBusStats = {
    published: 0,
    rejected: 0,
    refusedClosed: 0,
    dropped: 0,
    subscribers: 0,
    listenerErrors: 0,
  };
  private seq = 0;
  private seqWaiters: { seq: number; wake: (reached: boolean) => void }[] = [];
  private _epoch: string = randomUUID();
  private closed = false;
  private readonly owner: SubscriptionOwner = {
    onDrop: (count) => {
      this.counters.dropped += count;
    },
    onClose: (subscription) => {
      this.subscriptions.delete(subscription);
    },
    onListenerError: (error) => {
      this.counters.listenerErrors++;
      this.onListenerError(error);
    },
  };

  /**
   * `now` is the clock of the history's age bound (a test may pass its own);
   * `onListenerError` is told when a subscription's listener throws (the
   * error is counted, and delivery to the other subscribers goes on).
   */
  constructor(
    options: LivebusCoreOptions = {},
    now: () => number = Date.now,
    private readonly onListenerError: (error: unknown) => void = () =>
      undefined,
  ) {
    this.options = resolveCoreOptions(options);
    this.store = new SnapshotStore({
      maxTypes: this.options.snapshotMaxTypes,
      transientTypes: new Set(this.options.transientTypes),
    });
    this.history = new History({
      maxEvents: this.options.historyMaxEvents,
      maxAgeMs: this.options.historyMaxAgeMs,
      maxChars: this.options.historyMaxBytes,
      now,
    });
    this.now = now;
  }

  /** The sequence number of the newest event (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Identifies this numbering of events: a new bus starts a new epoch, and
   * so does {@link restart} (a shared transport that lost its data).
   */
  get epoch(): string {
    return this._epoch;
  }

  /** Whether anyone is subscribed right now. */
  get hasSubscribers(): boolean {
    return this.subscriptions.size > 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A copy of the counters. */
  stats(): EventBusStats {
    return { ...this.counters, subscribers: this.subscriptions.size };
  }

  /** How much the snapshot and the history hold (for metrics; O(types)). */
  sizes(): StorageSizes {
    return {
      snapshotTypes: this.store.size,
      snapshotBytes: this.store.chars,
      historyEvents: this.history.size,
      historyBytes: this.history.sizeChars,
    };
  }

  /**
   * Validates, sequences and delivers one event. Throws `InvalidEventError`
   * (or its subclass `EventTooLargeError`) for a bad event and
   * `BusClosedError` after {@link close}; either way nothing else changes.
   */
  publish<E extends EventOf<M>>(event: E): BusMessage<E> {
    return this.sequence(this.accept(event)) as Envelope<E>;
  }

  /**
   * Publishes several events in order, all or nothing: if any is invalid,
   * none is published and the error's `path` names its index
   * (`events[3].type`).
   */
  publishAll(events: readonly unknown[]): BusMessage<EventOf<M>>[] {
    return this.acceptAll(events).map((encoded) =>
      this.sequence(encoded),
    ) as Envelope<EventOf<M>>[];
  }

  /**
   * Validates and encodes an event without publishing it (counted as
   * rejected when bad), for a transport that sequences elsewhere.
   */
  accept(event: unknown): EncodedEvent {
    return this.check(event, encodeEvent);
  }

  /** {@link accept} for several events, all or nothing, naming the bad index. */
  acceptAll(events: readonly unknown[]): EncodedEvent[] {
    return events.map((event, index) => {
      try {
        return this.accept(event);
      } catch (error) {
        throw error instanceof InvalidEventError
          ? reindex(error, index)
          : error;
      }
    });
  }

  /**
   * @internal Checks an event that `encodeEvent` already validated and
   * encoded in a worker thread (the worker helper's fast path).
   */
  acceptEncoded(encoded: unknown): EncodedEvent {
    return this.check(encoded, verifyEncoded);
  }

  /** Gives an accepted event the next seq and delivers it (the in-memory sequencer). */
  sequence(encoded: EncodedEvent): BusMessage {
    return this.deliver(this.seq + 1, encoded.type, encoded.json);
  }

  /**
   * Delivers an event sequenced elsewhere (a shared stream). A seq at or
   * below the newest is a duplicate and ignored; a seq past the next one
   * means events were lost upstream: the history restarts after the hole
   * (a replay across it could not be exact) and every subscriber is told
   * the missed range before this event. `acceptedAt` (ms since the epoch)
   * is when the shared stream took it, for the history's age bound.
   */
  applySequenced(
    seq: number,
    type: string,
    json: string,
    acceptedAt: number = this.now(),
  ): void {
    if (seq <= this.seq) return;
    if (seq > this.seq + 1) {
      this.history.clear();
      for (const subscription of this.subscriptions) {
        subscription.noteMissed(this.seq + 1, seq - 1);
      }
    }
    this.deliver(seq, type, json, acceptedAt);
  }

  /**
   * Starts a new epoch at `seq` with the given latest events (a shared
   * transport whose data was lost or replaced): the history is dropped and
   * every subscriber is told to re-hydrate (`Subscription.onReset`).
   */
  restart(
    epoch: string,
    seq: number,
    latest: Iterable<{ type: string; seq: number; json: string }>,
  ): void {
    this._epoch = epoch;
    this.seq = seq;
    this.history.clear();
    this.store.clear();
    for (const entry of latest)
      this.store.set(entry.type, entry.seq, entry.json);
    for (const subscription of [...this.subscriptions]) subscription.reset();
    // Whoever waited for a seq of the old numbering must look again.
    this.wakeSeqWaiters(() => true);
  }

  /**
   * Resolves `true` once the event numbered `seq` has been delivered here,
   * or `false` after `timeoutMs` (or on close). With a shared transport a
   * node's reader may trail the node a client came from by a few events.
   */
  whenSeq(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.seq >= seq) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        wake: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.seqWaiters = this.seqWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.seqWaiters.push(waiter);
    });
  }

  /**
   * Opens a subscription with its own bounded queue. It receives every
   * event published after this call, until closed.
   */
  subscribe<K extends EventType<M> = EventType<M>>(
    options: SubscribeOptions<M, K> = {},
  ): Subscription<M[K]> {
    if (this.closed) throw new BusClosedError();
    const capacity = options.capacity ?? this.options.queueCapacity;
    const subscription = new Subscription<M[K]>(
      this.owner,
      capacity,
      options.overflow ?? this.options.overflow,
      options.types ? new Set<string>(options.types) : null,
    );
    this.subscriptions.add(subscription as unknown as Subscription<BusEvent>);
    return subscription;
  }

  /** A deep copy of the latest event of each type. */
  snapshot(): Partial<M> {
    return this.store.toObject() as Partial<M>;
  }

  /**
   * The snapshot with the sequence number it reflects, taken atomically with
   * respect to publishing: a subscription opened in the same tick receives
   * exactly the events after `seq`.
   */
  snapshotState(types?: ReadonlySet<string> | null): SnapshotState<M> {
    return {
      seq: this.seq,
      epoch: this._epoch,
      events: this.store.toObject(types) as SnapshotState<M>['events'],
    };
  }

  /** The snapshot as JSON text, without decoding and re-encoding it. */
  snapshotJson(types?: ReadonlySet<string> | null): string {
    return this.store.toJson(types);
  }

  /**
   * What a client that last saw `lastSeq` in `epoch` missed. Up to date is
   * always a replay of nothing, however long ago its last event was; a
   * client the kept history cannot serve exactly gets a reset. Call it in
   * the same synchronous step as `subscribe` so that replay and live stream
   * meet without a gap or a duplicate.
   */
  resume<K extends EventType<M> = EventType<M>>(
    epoch: string,
    lastSeq: number,
    types?: ReadonlySet<string> | null,
  ): ResumePlan<M[K]> {
    if (epoch !== this._epoch) return { kind: 'reset', reason: 'epoch' };
    if (lastSeq > this.seq) return { kind: 'reset', reason: 'ahead' };
    if (lastSeq === this.seq) return { kind: 'replay', messages: [] };
    const missed = this.history.since(lastSeq);
    if (!missed) return { kind: 'reset', reason: 'history' };
    const messages = types ? missed.filter((m) => types.has(m.type)) : missed;
    return { kind: 'replay', messages: messages as Envelope<M[K]>[] };
  }

  /** Ends every subscription and refuses further publishes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeSeqWaiters(() => true, false);
    for (const subscription of [...this.subscriptions]) {
      subscription.finish('bus-closed');
    }
  }

  private check(
    event: unknown,
    encode: (value: unknown, maxBytes: number) => EncodedEvent,
  ): EncodedEvent {
    if (this.closed) {
      this.counters.refusedClosed++;
      throw new BusClosedError();
    }
    try {
      return encode(event, this.options.maxEventBytes);
    } catch (error) {
      this.counters.rejected++;
      throw error;
    }
  }

  private deliver(
    seq: number,
    type: string,
    json: string,
    acceptedAt: number = this.now(),
  ): Envelope {
    this.seq = seq;
    const envelope = new Envelope(seq, type, json, acceptedAt);
    this.counters.published++;
    this.store.set(type, envelope.seq, json);
    this.history.append(envelope);
    for (const subscription of this.subscriptions) subscription.offer(envelope);
    if (this.seqWaiters.length > 0) {
      this.wakeSeqWaiters((waiter) => waiter.seq <= seq);
    }
    return envelope;
  }

  private wakeSeqWaiters(
    due: (waiter: { seq: number }) => boolean,
    reached = true,
  ): void {
    const waiting = this.seqWaiters;
    this.seqWaiters = waiting.filter((waiter) => !due(waiter));
    for (const waiter of waiting) if (due(waiter)) waiter.wake(reached);
  }
}

function reindex(error: InvalidEventError, index: number): InvalidEventError {
  const path = error.path.replace(/^event/, `events[${index}]`);
  const reindexed = Object.create(
    Object.getPrototypeOf(error) as object,
  ) as InvalidEventError;
  Object.assign(reindexed, error, {
    path,
    message: error.message.replace(/^event/, `events[${index}]`),
    stack: error.stack,
  });
  return reindexed;
}
