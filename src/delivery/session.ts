import { BusClosedError } from '../core/errors.js';
import type { AnyEventMap } from '../protocol/event-map.js';
import type { CloseReason, Gap, Subscription } from '../core/subscription.js';
import type { Envelope } from '../core/envelope.js';
import type { TypeFilter } from '../core/type-filter.js';
import type { EventBusService } from '../bus/event-bus.service.js';
import { ClientPump, type PumpOwner } from './client-pump.js';
import type { ClientRequest } from './client-request.js';
import type { FrameEncoder, SessionTransport } from './frames.js';
import { snapshotFramesOf } from './snapshot-frames.js';
import {
  NO_DELIVERY_OBSERVER,
  type ClientKind,
  type DeliveryObserver,
  type DisconnectReason,
  type ObservedSession,
} from './delivery-observer.js';

// The SSE controller imports it from here.
export type { SessionTransport };

type AnySubscription = Subscription<AnyEventMap[string]>;

/**
 * Most `subscribe` (re-hydration) requests one client may have waiting for
 * their answer. A client that keeps asking without reading what it is sent
 * would otherwise be owed an ever longer list of answers, each holding its
 * request's pass through Nest's pipeline (about 8 KB); past this, the
 * gateway disconnects it (`rate_limited`). A client that keeps reading has
 * at most what the server reads of it while one snapshot is written
 * waiting: about 1,750 of the smallest requests per 64 KB read.
 */
export const MAX_WAITING_RESYNCS = 4096;

/** How long a resuming client waits for this node to reach the seq it saw elsewhere, in ms. */
const RESUME_CATCH_UP_MS = 2000;

/**
 * Before a resume is planned: with a shared transport, a client that saw
 * seq N on another node may reach this one before its stream reader has
 * read N. Waiting (briefly) for it turns what would be a needless reset
 * into an exact replay. A transport that numbers events in this process
 * alone (memory) never issued a seq ahead of this bus: nothing to wait for.
 */
export async function awaitResumePoint(
  bus: EventBusService,
  request: ClientRequest,
): Promise<void> {
  const resume = request.resume;
  if (
    !resume ||
    !bus.transportState.sharedSequence ||
    resume.epoch !== bus.epoch ||
    resume.lastSeq <= bus.lastSeq
  ) {
    return;
  }
  await bus.whenSeq(resume.lastSeq, RESUME_CATCH_UP_MS);
}

/**
 * One client's delivery: its bounded subscription, its pump, and how it was
 * hydrated. Transport-neutral; the gateway and the SSE endpoint each give it
 * a {@link SessionTransport}.
 */
export class ClientSession<F extends object>
  implements ObservedSession, PumpOwner
{
  private pump!: ClientPump<F, AnyEventMap[string]>;
  private ended = false;
  // The answers owed to resync requests not yet taken, oldest first
  // (none yet: most clients never ask).
  private waiting: ((seq: number) => void)[] | null = null;

  private constructor(
    private readonly bus: EventBusService,
    readonly subscription: AnySubscription,
    private readonly transport: SessionTransport<F>,
    private _allowed: TypeFilter | null,
  ) {}

  /**
   * Subscribes and hydrates in one synchronous step, so that what the client
   * gets first (a snapshot at `seq`, or the replay up to it) meets the live
   * stream with no gap and no duplicate. Returns `null` once the bus closed.
   * `allowed` is what the server lets this client read (its authorization;
   * `null`: everything): the snapshot, the replay and the live stream all
   * pass through it, whatever the client's own filter asks.
   */
  static open<F extends object>(
    bus: EventBusService,
    request: ClientRequest,
    transport: SessionTransport<F>,
    allowed: TypeFilter | null = null,
  ): ClientSession<F> | null {
    let subscription: AnySubscription;
    try {
      subscription = bus.subscribe({ types: request.types });
    } catch (error) {
      if (error instanceof BusClosedError) return null;
      throw error;
    }
    subscription.restrict(allowed);
    const visible = both(request.types, allowed);
    const plan = request.resume
      ? bus.resume(request.resume.epoch, request.resume.lastSeq, visible)
      : null;
    const hydration =
      plan?.kind === 'replay'
        ? transport.encoder.resumed({
            epoch: bus.epoch,
            fromSeq: request.resume!.lastSeq + 1,
            toSeq: bus.lastSeq,
            replayed: plan.messages.length,
          })
        : snapshotFrame(
            bus,
            transport.encoder,
            request.types,
            visible,
            plan !== null,
          );
    const session = new ClientSession(bus, subscription, transport, allowed);
    session.observer.opened(session, plan);
    session.pump = new ClientPump(
      subscription,
      transport.encoder,
      transport.sink,
      subscription.capacity,
      [hydration],
      plan?.kind === 'replay' ? plan.messages : undefined,
      session,
      undefined,
      transport.hydrateNow ? 'now' : 'scheduled',
    );
    return session;
  }

  // Read from the transport, not copied: two fields less per client.
  get kind(): ClientKind {
    return this.transport.kind ?? 'socketio';
  }

  private get observer(): DeliveryObserver {
    return this.transport.observer ?? NO_DELIVERY_OBSERVER;
  }

  /** @internal The pump's: a batch is being written. */
  writing(
    messages: readonly Envelope[],
    gap: Gap | null,
    replay: boolean,
  ): void {
    this.observer.writing(this, messages, gap, replay);
  }

  /**
   * @internal The pump's: a new epoch (the shared transport lost its
   * data), so re-hydrate in-band.
   */
  reset(): void {
    this.resync(this.subscription.types);
  }

  /** @internal The pump's: the subscription ended. */
  closed(reason: CloseReason): void {
    this.transport.closed?.(reason);
  }

  /**
   * Re-hydrates with `types` as the filter (`null`: all): at the next write
   * the queued events are dropped and a fresh snapshot (marked reset) goes
   * out, through the same drain-aware path as everything else. Requests
   * made before it is written are merged into one (the newest filter
   * wins), and every one of them is answered: each `onTaken` is told the
   * seq of the snapshot that followed its request, once that snapshot has
   * been handed to the transport.
   */
  resync(
    types: ReadonlySet<string> | null,
    onTaken?: (seq: number) => void,
  ): void {
    if (onTaken) (this.waiting ??= []).push(onTaken);
    this.pump.requestSnapshot(() => {
      this.observer.resynced(this);
      this.subscription.setTypes(types);
      const frame = snapshotFrame(
        this.bus,
        this.transport.encoder,
        types,
        both(types, this._allowed),
        true,
      );
      const seq = this.bus.lastSeq;
      // Taken now: a request made after this point waits for the next
      // snapshot, whose filter it may have changed.
      const answered = this.waiting;
      this.waiting = null;
      // Told after the frame is handed to the transport, so an answer to
      // the client follows its snapshot.
      if (answered) {
        queueMicrotask(() => {
          for (const answer of answered) answer(seq);
        });
      }
      return frame;
    });
  }

  /**
   * Changes what the server lets this client read (after it refreshed its
   * credential), from the next event on.
   */
  restrict(allowed: TypeFilter | null): void {
    this._allowed = allowed;
    this.subscription.restrict(allowed);
  }

  /** What the server lets this client read (`null`: everything). */
  get allowed(): TypeFilter | null {
    return this._allowed;
  }

  /** How many {@link resync} requests wait for their snapshot (to bound them). */
  get waitingResyncs(): number {
    return this.waiting?.length ?? 0;
  }

  /** Ends the session (idempotent); `reason` is what the observer is told. */
  close(reason: DisconnectReason = 'client_closed'): void {
    this.subscription.close();
    // Nobody left to answer: let their requests go.
    this.waiting = null;
    if (this.ended) return;
    this.ended = true;
    this.observer.closed(this, reason);
  }
}

/**
 * The `snapshot` frame of what `visible` lets through, as of the bus's
 * newest seq; its meta tells the client its own filter, `types`. Shared with
 * every client of this encoder that hydrates at the same point, unless the
 * server narrows what this client may read (then it is encoded for it).
 */
function snapshotFrame<F extends object>(
  bus: EventBusService,
  encoder: FrameEncoder<F>,
  types: ReadonlySet<string> | null,
  visible: TypeFilter | null,
  reset: boolean,
): F {
  if (visible === types) {
    return snapshotFramesOf(encoder, bus).frame(bus, types, reset);
  }
  return encoder.snapshot(bus.snapshotJson(visible), {
    seq: bus.lastSeq,
    epoch: bus.epoch,
    reset,
    types: types ? [...types].sort() : null,
  });
}

/** The types both filters let through (`null` means no filter). */
function both(
  types: TypeFilter | null,
  allowed: TypeFilter | null,
): TypeFilter | null {
  if (allowed === null) return types;
  if (types === null) return allowed;
  return { has: (type) => types.has(type) && allowed.has(type) };
}
