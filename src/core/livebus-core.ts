import { randomUUID } from 'node:crypto';
import {
  resolveCoreOptions,
  type LivebusCoreOptions,
  type ResolvedCoreOptions,
} from './core-options.js';
import { Envelope } from './envelope.js';
import { BusClosedError } from './errors.js';
import type { EncodedEvent } from './event-codec.js';
import { EventIntake } from './event-intake.js';
import type {
  AnyEventMap,
  EventMap,
  EventOf,
  EventType,
} from '../protocol/event-map.js';
import type { BusMessage, SnapshotState } from './bus-message.js';
import { History } from './history.js';
import { planResume, type ResumePlan } from './resume-plan.js';
import { SeqWaiters } from './seq-waiters.js';
import { SnapshotStore } from './snapshot-store.js';
import { Subscribers } from './subscribers.js';
import type { Subscription } from './subscription.js';
import type { EventBusStats, SubscribeOptions } from './core-types.js';
import type { TypeFilter } from './type-filter.js';

export type { EventBusStats, ResumePlan, SubscribeOptions };

/** What the snapshot and the history hold right now. */
export interface StorageSizes {
  snapshotTypes: number;
  /** The snapshot's JSON, in UTF-8 bytes as counted against `snapshotMaxBytes`. */
  snapshotBytes: number;
  historyEvents: number;
  /** The history's event JSON, in UTF-8 bytes. */
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
  private readonly subscriptions: Subscribers;
  private readonly intake: EventIntake;
  private published = 0;
  private seq = 0;
  private readonly seqWaiters = new SeqWaiters();
  private _epoch: string = randomUUID();
  private closed = false;

  /**
   * `now` is the clock of the history's age bound (a test may pass its own);
   * `onListenerError` is told when a subscription's listener throws (the
   * error is counted, and delivery to the other subscribers goes on).
   */
  constructor(
    options: LivebusCoreOptions = {},
    now: () => number = Date.now,
    onListenerError: (error: unknown) => void = () => undefined,
  ) {
    this.options = resolveCoreOptions(options);
    this.store = new SnapshotStore({
      maxTypes: this.options.snapshotMaxTypes,
      maxBytes: this.options.snapshotMaxBytes,
      transientTypes: new Set(this.options.transientTypes),
    });
    this.history = new History({
      maxEvents: this.options.historyMaxEvents,
      maxAgeMs: this.options.historyMaxAgeMs,
      maxBytes: this.options.historyMaxBytes,
      now,
    });
    this.now = now;
    this.subscriptions = new Subscribers(onListenerError);
    this.intake = new EventIntake(
      this.options.maxEventBytes,
      () => this.closed,
    );
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
    const { rejected, refusedClosed } = this.intake;
    const { dropped, listenerErrors, size } = this.subscriptions;
    return {
      published: this.published,
      rejected,
      refusedClosed,
      dropped,
      subscribers: size,
      listenerErrors,
    };
  }

  /** How much the snapshot and the history hold (for metrics). */
  sizes(): StorageSizes {
    return {
      snapshotTypes: this.store.size,
      snapshotBytes: this.store.bytes,
      historyEvents: this.history.size,
      historyBytes: this.history.sizeBytes,
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
    return this.intake.accept(event);
  }

  /**
   * {@link accept} for several events, all or nothing, naming the bad index.
   * `rawJson[i]`, when given, is the JSON text `events[i]` was parsed from,
   * kept instead of stringifying it again.
   */
  acceptAll(
    events: readonly unknown[],
    rawJson?: readonly (string | undefined)[],
  ): EncodedEvent[] {
    return this.intake.acceptAll(events, rawJson);
  }

  /**
   * @internal Checks an event that `encodeEvent` already validated and
   * encoded in a worker thread (the worker helper's fast path).
   */
  acceptEncoded(encoded: unknown): EncodedEvent {
    return this.intake.acceptEncoded(encoded);
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
      this.subscriptions.noteMissed(this.seq + 1, seq - 1);
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
    latest: Iterable<{ readonly type: string; readonly json: string }>,
  ): void {
    this._epoch = epoch;
    this.seq = seq;
    this.history.clear();
    this.store.clear();
    for (const { type, json } of latest) this.store.set(type, json);
    this.subscriptions.resetAll();
    // Whoever waited for a seq of the old numbering must look again.
    this.seqWaiters.wakeAll(true);
  }

  /**
   * Resolves `true` once the event numbered `seq` has been delivered here,
   * or `false` after `timeoutMs` (or on close). With a shared transport a
   * node's reader may trail the node a client came from by a few events.
   */
  whenSeq(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.seq >= seq) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return this.seqWaiters.wait(seq, timeoutMs);
  }

  /**
   * Opens a subscription with its own bounded queue. It receives every
   * event published after this call, until closed.
   */
  subscribe<K extends EventType<M> = EventType<M>>(
    options: SubscribeOptions<M, K> = {},
  ): Subscription<M[K]> {
    if (this.closed) throw new BusClosedError();
    return this.subscriptions.add<M[K]>(
      options.capacity ?? this.options.queueCapacity,
      options.overflow ?? this.options.overflow,
      options.types ? new Set<string>(options.types) : null,
    );
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
  snapshotState(types?: TypeFilter | null): SnapshotState<M> {
    return {
      seq: this.seq,
      epoch: this._epoch,
      events: this.store.toObject(types) as SnapshotState<M>['events'],
    };
  }

  /** The snapshot as JSON text, without decoding and re-encoding it. */
  snapshotJson(types?: TypeFilter | null): string {
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
    types?: TypeFilter | null,
  ): ResumePlan<M[K]> {
    const at = { epoch: this._epoch, seq: this.seq, history: this.history };
    return planResume(at, epoch, lastSeq, types) as ResumePlan<M[K]>;
  }

  /** Ends every subscription and refuses further publishes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.seqWaiters.wakeAll(false);
    this.subscriptions.finishAll('bus-closed');
  }

  private deliver(
    seq: number,
    type: string,
    json: string,
    acceptedAt: number = this.now(),
  ): Envelope {
    this.seq = seq;
    const envelope = new Envelope(seq, type, json, acceptedAt);
    this.published++;
    this.store.set(type, json);
    this.history.append(envelope);
    this.subscriptions.offer(envelope);
    this.seqWaiters.reached(seq);
    return envelope;
  }
}
