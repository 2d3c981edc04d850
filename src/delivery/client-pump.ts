import type { Envelope } from '../core/envelope.js';
import type { BusMessage } from '../core/bus-message.js';
import type { BusEvent } from '../protocol/event-map.js';
import type { CloseReason, Gap, Subscription } from '../core/subscription.js';
import type { SubscriptionWatcher } from '../core/subscription-watcher.js';
import type { FrameEncoder, FrameSink } from './frames.js';
import {
  sharedWriteScheduler,
  type ScheduledWriter,
  type WriteScheduler,
} from './write-scheduler.js';

// The gateway and the SSE controller import these two from here.
export type { FrameEncoder, FrameSink };

/**
 * What the pump passes on (the session: its metrics, its re-hydration, its
 * end), one object with methods rather than a closure per client.
 */
export interface PumpOwner {
  /**
   * Told of each batch as it is written: its events (a resumed client's
   * replay when `replay`) and the gap notice before them. `messages` may be
   * refilled after the call: read it then, never keep it.
   */
  writing(
    messages: readonly Envelope[],
    gap: Gap | null,
    replay: boolean,
  ): void;
  /** The bus started a new epoch (see `Subscription.onReset`). */
  reset(): void;
  /** The subscription ended, for `reason`. */
  closed(reason: CloseReason): void;
}

const NO_OWNER: PumpOwner = {
  writing: () => undefined,
  reset: () => undefined,
  closed: () => undefined,
};
// Shared by every pump with nothing of the kind (most, most of the time).
const NONE: readonly never[] = [];

// The one-event batch of the fast path, filled and emptied within one
// writeNow: the sink and the observer read their arrays before returning,
// so a fan-out to thousands of clients allocates no array per client.
// Always of length 1 (emptied to `undefined`, not to length 0, which would
// free the backing store and allocate it again at the next write).
const oneMessage: (Envelope | undefined)[] = [undefined];
const oneFrame: unknown[] = [undefined];

/**
 * Moves one client's frames to its socket, one batch at a time: the next
 * batch is taken only after the previous one has drained. Everything the
 * client gets goes this way (hydration, events, gap notices, re-hydration),
 * so a client that stops reading holds at most one batch in the transport
 * while its bounded queue drops the oldest events, and the gap notice goes
 * out first once it reads again.
 */
export class ClientPump<F, E extends BusEvent = BusEvent>
  implements ScheduledWriter, SubscriptionWatcher
{
  private inFlight = false;
  // Waiting in the scheduler: not at all, with the live fan-out, or ahead
  // of it (a hydration or re-hydration).
  private scheduled: 'no' | 'live' | 'urgent' = 'no';
  private backlogIndex = 0;
  // A re-hydration asked for and not yet written; a newer request replaces
  // it, so a client that asks again and again costs one snapshot.
  private snapshotRequest: (() => F) | null = null;
  // The batch in the transport, held until it drained: a frame shared with
  // other clients (a snapshot) stays findable while any client holds it.
  private inFlightFrames: readonly F[] = NONE;

  /**
   * `prelude` (the hydration: a `snapshot`, or a `resumed` notice) and then
   * `backlog` (a resumed client's missed events, older than anything the
   * subscription will receive) are written first, in the same batches.
   * `firstWrite: 'now'` writes that first batch before the constructor
   * returns instead of at the scheduler's next turn: the gateway sends the
   * hydration in the same TCP write as Socket.IO's CONNECT packet.
   */
  constructor(
    private readonly subscription: Subscription<E>,
    private readonly encoder: FrameEncoder<F>,
    private readonly sink: FrameSink<F>,
    private readonly maxBatch: number,
    private prelude: readonly F[],
    private backlog: readonly BusMessage<E>[] = NONE,
    private readonly owner: PumpOwner = NO_OWNER,
    private readonly scheduler: WriteScheduler = sharedWriteScheduler,
    firstWrite: 'scheduled' | 'now' = 'scheduled',
  ) {
    subscription.watch(this);
    if (firstWrite === 'now') this.writeNow();
    else this.schedule();
  }

  /** @internal The subscription's: its queue is no longer empty. */
  readable(): void {
    this.schedule();
  }

  /** @internal The subscription's: the bus started a new epoch. */
  reset(): void {
    this.owner.reset();
  }

  /** @internal The subscription's: it ended. */
  closed(reason: CloseReason): void {
    this.owner.closed(reason);
  }

  /**
   * Re-hydrates at the next write: what is queued (and any backlog or gap)
   * is dropped and `take()` builds the snapshot frame in the same
   * synchronous step, so the snapshot and the events after it meet exactly.
   */
  requestSnapshot(take: () => F): void {
    this.snapshotRequest = take;
    this.schedule();
  }

  /**
   * Writes whatever is waiting at this client's turn in the scheduler
   * (after the current microtask at the earliest, so a synchronous burst of
   * publishes leaves as one batch). A hydration or re-hydration goes ahead
   * of the live fan-out.
   */
  schedule(): void {
    if (this.inFlight || this.scheduled === 'urgent') return;
    const urgent = this.snapshotRequest !== null || this.prelude.length > 0;
    if (this.scheduled === 'live' && !urgent) return;
    // Queued again ahead of its place among the live ones: its later turn
    // there finds nothing to write, or writes what came since.
    this.scheduled = urgent ? 'urgent' : 'live';
    this.scheduler.add(this, urgent);
  }

  /** @internal The scheduler's call: one batch, if nothing is in flight. */
  writeNow(): void {
    this.scheduled = 'no';
    if (this.inFlight || this.subscription.closed) return;
    if (this.hasOneEventOnly()) {
      this.writeOneEvent();
      return;
    }
    const frames: F[] = this.prelude.length > 0 ? [...this.prelude] : [];
    this.prelude = NONE;
    if (this.snapshotRequest) {
      const take = this.snapshotRequest;
      this.snapshotRequest = null;
      this.dropBacklog();
      this.subscription.take();
      this.subscription.takeGap();
      frames.push(take());
    }
    // The bus only hands out Envelopes; its API types them as BusMessage.
    let messages: Envelope[];
    let gap: Gap | null = null;
    const replay = this.backlogIndex < this.backlog.length;
    if (replay) {
      const end = Math.min(
        this.backlog.length,
        this.backlogIndex + this.maxBatch,
      );
      messages = this.backlog.slice(
        this.backlogIndex,
        end,
      ) as unknown as Envelope[];
      this.backlogIndex = end;
      // Sent: let the replay go rather than hold it for the connection's life.
      if (end === this.backlog.length) this.dropBacklog();
    } else {
      gap = this.subscription.takeGap();
      if (gap) frames.push(this.encoder.gap(gap));
      messages = this.subscription.take(this.maxBatch) as unknown as Envelope[];
    }
    for (const message of messages) {
      frames.push(message.encodeWith(this.encoder.event));
    }
    if (frames.length === 0) return;
    this.owner.writing(messages, gap, replay);
    this.inFlight = true;
    this.inFlightFrames = frames;
    this.sink.write(frames, this.flushed);
  }

  /** One live event and nothing else: the common turn of a fan-out. */
  private hasOneEventOnly(): boolean {
    return (
      this.subscription.size === 1 &&
      !this.subscription.hasGap &&
      this.snapshotRequest === null &&
      this.prelude.length === 0 &&
      this.backlogIndex >= this.backlog.length
    );
  }

  /**
   * `writeNow` for one event, without the per-client arrays: the shared
   * one-element arrays are emptied again before returning. The frame is an
   * event's (cached on its envelope), never a shared snapshot, so nothing
   * needs holding while it is in flight.
   */
  private writeOneEvent(): void {
    // The bus only hands out Envelopes; its API types them as BusMessage.
    const message = this.subscription.takeOne() as unknown as Envelope;
    oneFrame[0] = message.encodeWith(this.encoder.event);
    oneMessage[0] = message;
    try {
      this.owner.writing(oneMessage as Envelope[], null, false);
      this.inFlight = true;
      this.sink.write(oneFrame as F[], this.flushed);
    } finally {
      oneMessage[0] = undefined;
      oneFrame[0] = undefined;
    }
  }

  private dropBacklog(): void {
    this.backlog = NONE;
    this.backlogIndex = 0;
  }

  private readonly flushed = (): void => {
    this.inFlight = false;
    this.inFlightFrames = NONE;
    // Whatever arrived meanwhile: events, a gap notice (possibly with no
    // event behind it yet), a re-hydration. Nothing: no turn taken.
    if (this.hasWork()) this.schedule();
  };

  private hasWork(): boolean {
    return (
      this.subscription.size > 0 ||
      this.subscription.hasGap ||
      this.snapshotRequest !== null ||
      this.prelude.length > 0 ||
      this.backlogIndex < this.backlog.length
    );
  }
}
