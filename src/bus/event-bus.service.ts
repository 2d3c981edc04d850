import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  LivebusCore,
  type EventBusStats,
  type ResumePlan,
  type StorageSizes,
  type SubscribeOptions,
} from '../core/livebus-core.js';
import type {
  AnyEventMap,
  EventMap,
  EventOf,
  EventType,
} from '../protocol/event-map.js';
import type { SnapshotState } from '../core/bus-message.js';
import type { TypeFilter } from '../core/type-filter.js';
import type { EncodedEvent } from '../core/event-codec.js';
import type { Subscription } from '../core/subscription.js';
import type {
  EventTransport,
  PublishReceipt,
  TransportState,
  TransportStats,
} from '../transports/event-transport.js';
import { appendOptions, type PublishOptions } from './publish-options.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from './event-bus-options.js';
import { EVENT_TRANSPORT } from './event-transport.token.js';
import { BusNotReadyError } from '../core/errors.js';

export type { PublishOptions };

/** The core's counters, and the publishes refused before the module was ready. */
export interface EventBusServiceStats extends EventBusStats {
  /** Events refused with `BusNotReadyError` (published before `onModuleInit`). */
  refusedNotReady: number;
}

/**
 * The injectable event bus. Inject it anywhere to publish, subscribe, or read
 * the snapshot; give it your event map for typed events:
 * `constructor(private readonly bus: EventBusService<AppEvents>) {}`.
 *
 * It is ready once the module has initialised (`onModuleInit`) and closes in
 * `beforeApplicationShutdown`, after the monitor worker stopped and before
 * Nest closes the Socket.IO server.
 */
@Injectable()
export class EventBusService<M extends EventMap<M> = AnyEventMap>
  implements OnModuleInit, BeforeApplicationShutdown
{
  private readonly bus: LivebusCore<M>;
  private ready = false;
  private refusedNotReady = 0;
  private readonly readyWaiters = new Set<() => void>();

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
  ) {
    const logger = new Logger('EventBus');
    this.bus = new LivebusCore<M>(options.core, Date.now, (error) =>
      logger.error(
        `a subscription listener threw (delivery to the others went on): ${(error as Error)?.message ?? String(error)}`,
        (error as Error)?.stack,
      ),
    );
  }

  /** Connects the transport (Redis: fails the start-up with a clear error if unreachable). */
  async onModuleInit(): Promise<void> {
    await this.transport.start(this.bus);
    this.ready = true;
    for (const wake of this.readyWaiters) wake();
    this.readyWaiters.clear();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.bus.close();
    await this.transport.stop();
  }

  /** Identifies this numbering of events; changes when the bus restarts. */
  get epoch(): string {
    return this.bus.epoch;
  }

  /** The sequence number of the newest event delivered here (0 before any). */
  get lastSeq(): number {
    return this.bus.lastSeq;
  }

  /** Whether anyone (a Socket.IO client, a provider) is subscribed right now. */
  get hasSubscribers(): boolean {
    return this.bus.hasSubscribers;
  }

  /** Whether the bus is closed (the application is shutting down). */
  get isClosed(): boolean {
    return this.bus.isClosed;
  }

  /** The options of the core bus, with defaults applied. */
  get options(): LivebusCore<M>['options'] {
    return this.bus.options;
  }

  /**
   * Whether the transport is reachable, and whether other nodes share its
   * numbering (a client may then have seen a seq this node has not yet).
   */
  get transportState(): {
    readonly name: string;
    readonly state: TransportState;
    readonly sharedSequence: boolean;
  } {
    const { name = 'custom', state, sharedSequence } = this.transport;
    return { name, state, sharedSequence };
  }

  /**
   * Resolves `true` once the bus is ready, or `false` if it is not within
   * `timeoutMs` (like the seed's `wait_ready`).
   */
  whenReady(timeoutMs = 30_000): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.readyWaiters.add(wake);
    });
  }

  /**
   * Validates, sequences and delivers one event; resolves with its `seq`.
   * Asynchronous because a shared transport (Redis) only knows the `seq`
   * once it has stored the event; in memory the event has reached every
   * local subscriber before this returns, so calls without `await` keep
   * their order (with Redis too: one connection keeps the order).
   * With `{ id }` it is idempotent: see {@link PublishOptions}.
   *
   * Never throws: every refusal is a rejected promise, so one `catch` (or
   * `await` in a `try`) handles them all.
   * @throws (rejects) InvalidEventError (its `path` names the field: `event.type`, `options.id`...) or EventTooLargeError
   * @throws (rejects) BusClosedError after shutdown began
   * @throws (rejects) BusNotReadyError before the module has initialised
   * @throws (rejects) TransportUnavailableError when Redis cannot take it
   */
  publish<E extends EventOf<M>>(
    event: E,
    options?: PublishOptions,
  ): Promise<PublishReceipt> {
    try {
      const append = appendOptions(options);
      this.assertReady();
      return this.transport.append([this.bus.accept(event)], append);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Publishes several events in order, all or nothing: a bad one rejects
   * with its index in `path` (`events[2].type`) and none is published.
   * Resolves with the first event's `seq`; the others follow it. With
   * `{ id }` the whole batch is idempotent (one id for all of it). Never
   * throws, like {@link publish}.
   */
  publishAll(
    events: readonly unknown[],
    options?: PublishOptions,
    /** @internal The JSON text each event was parsed from (ingest), or `undefined` for one to stringify. */
    rawJson?: readonly (string | undefined)[],
  ): Promise<PublishReceipt> {
    try {
      const append = appendOptions(options);
      this.assertReady();
      return this.transport.append(this.bus.acceptAll(events, rawJson), append);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private assertReady(): void {
    if (this.ready) return;
    this.refusedNotReady += 1;
    throw new BusNotReadyError();
  }

  /**
   * @internal Publishes what a worker posted: plain events (validated here)
   * or events the worker helper encoded (checked here), with the
   * idempotency id of each (`ids[i]`, `null` for none). Bad ones are
   * returned as errors and skipped; the rest go in order, those without an
   * id together in one append, each one with an id in an append of its own.
   */
  publishFromWorker(
    events: readonly unknown[],
    preEncoded: boolean,
    ids?: readonly unknown[],
  ): {
    accepted: number;
    refused: Error[];
    appended: Promise<unknown> | null;
  } {
    const appends: { events: EncodedEvent[]; id?: string }[] = [];
    const refused: Error[] = [];
    let accepted = 0;
    events.forEach((event, i) => {
      try {
        const id = ids?.[i] ?? undefined;
        // Checked by appendOptions, whatever the worker sent.
        const append = appendOptions(
          id === undefined ? undefined : { id: id as string },
        );
        const encoded = preEncoded
          ? this.bus.acceptEncoded(event)
          : this.bus.accept(event);
        const last = appends.at(-1);
        if (append?.id === undefined && last && last.id === undefined) {
          last.events.push(encoded);
        } else appends.push({ events: [encoded], id: append?.id });
        accepted++;
      } catch (error) {
        refused.push(error as Error);
      }
    });
    // Started in order, each append keeps its place (see `publish`).
    const appended = appends.map(({ events, id }) =>
      this.transport.append(events, id === undefined ? undefined : { id }),
    );
    return {
      accepted,
      refused,
      appended: appended.length > 0 ? Promise.all(appended) : null,
    };
  }

  /**
   * Opens a bounded subscription to every event published from now on.
   * Iterate it with `for await`; end it with `close()` or `await using`.
   */
  subscribe<K extends EventType<M> = EventType<M>>(
    options?: SubscribeOptions<M, K>,
  ): Subscription<M[K]> {
    return this.bus.subscribe<K>(options);
  }

  /**
   * What a client that last saw `lastSeq` in `epoch` missed: a replay, or a
   * reset when that cannot be known exactly. Call it in the same synchronous
   * step as `subscribe`.
   */
  resume<K extends EventType<M> = EventType<M>>(
    epoch: string,
    lastSeq: number,
    types?: TypeFilter | null,
  ): ResumePlan<M[K]> {
    return this.bus.resume<K>(epoch, lastSeq, types);
  }

  /**
   * Resolves `true` once the event numbered `seq` has reached this node, or
   * `false` after `timeoutMs`. With Redis, a node's stream reader may trail
   * the node that published by a few events.
   */
  whenSeq(seq: number, timeoutMs: number): Promise<boolean> {
    return this.bus.whenSeq(seq, timeoutMs);
  }

  /** A deep copy of the latest event of each type. */
  snapshot(): Partial<M> {
    return this.bus.snapshot();
  }

  /** The snapshot with the `seq` and `epoch` it reflects. */
  snapshotState(types?: TypeFilter | null): SnapshotState<M> {
    return this.bus.snapshotState(types);
  }

  /** The snapshot as JSON text (no decode/encode round trip). */
  snapshotJson(types?: TypeFilter | null): string {
    return this.bus.snapshotJson(types);
  }

  /** How much the snapshot and the history hold right now. */
  sizes(): StorageSizes {
    return this.bus.sizes();
  }

  /** What a shared transport reports (Redis), or `null` (memory). */
  transportStats(): Promise<TransportStats | null> {
    return this.transport.stats?.() ?? Promise.resolve(null);
  }

  /** Counters since start: published, rejected, dropped, subscribers. */
  stats(): EventBusServiceStats {
    return { ...this.bus.stats(), refusedNotReady: this.refusedNotReady };
  }
}
