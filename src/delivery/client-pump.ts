import type { Envelope } from '../core/envelope.js';
import type { BusEvent, BusMessage } from '../core/event.js';
import type { Gap, Subscription } from '../core/subscription.js';

/**
 * Where a pump writes one client's frames. `write` must call `onFlushed`
 * once the frames have left the process's buffers (the transport drained),
 * and never before.
 */
export interface FrameSink<F> {
  write(frames: readonly F[], onFlushed: () => void): void;
}

/** How a pump turns bus messages and gap notices into frames. */
export interface FrameEncoder<F> {
  /** Must be the same function for every client: the frame is cached on the envelope. */
  readonly event: (message: Envelope) => F;
  readonly gap: (gap: Gap) => F;
}

/**
 * Moves one client's queued events to its socket, one batch at a time: the
 * next batch is taken only after the previous one has drained. A client that
 * stops reading therefore holds at most one batch in the transport while its
 * bounded queue drops the oldest events, and the gap notice goes out first
 * once it reads again.
 */
export class ClientPump<F, E extends BusEvent = BusEvent> {
  private inFlight = false;
  private scheduled = false;
  private backlogIndex = 0;

  /**
   * `backlog` (a resumed client's missed events, older than anything the
   * subscription will receive) is written first, in the same batches.
   */
  constructor(
    private readonly subscription: Subscription<E>,
    private readonly encoder: FrameEncoder<F>,
    private readonly sink: FrameSink<F>,
    private readonly maxBatch: number,
    private backlog: readonly BusMessage<E>[] = [],
  ) {
    subscription.onReadable(() => this.schedule());
    if (backlog.length > 0) this.schedule();
  }

  /**
   * Drops the backlog and everything queued, for a client about to receive
   * a fresh snapshot that covers them.
   */
  discardQueued(): void {
    this.backlog = [];
    this.backlogIndex = 0;
    this.subscription.take();
    this.subscription.takeGap();
  }

  /** Writes whatever is queued, once the current microtask ends. */
  schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // A microtask lets a synchronous burst of publishes leave as one batch.
    queueMicrotask(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.inFlight || this.subscription.closed) return;
    let gap: Gap | null = null;
    let messages: Envelope[];
    // The bus only hands out Envelopes; its API types them as BusMessage.
    if (this.backlogIndex < this.backlog.length) {
      const end = Math.min(
        this.backlog.length,
        this.backlogIndex + this.maxBatch,
      );
      messages = this.backlog.slice(
        this.backlogIndex,
        end,
      ) as unknown as Envelope[];
      this.backlogIndex = end;
    } else {
      gap = this.subscription.takeGap();
      messages = this.subscription.take(this.maxBatch) as unknown as Envelope[];
    }
    if (!gap && messages.length === 0) return;
    const frames: F[] = [];
    if (gap) frames.push(this.encoder.gap(gap));
    for (const message of messages) {
      frames.push(message.encodeWith(this.encoder.event));
    }
    this.inFlight = true;
    this.sink.write(frames, this.flushed);
  };

  private readonly flushed = (): void => {
    this.inFlight = false;
    if (this.backlogIndex < this.backlog.length || this.subscription.size > 0) {
      this.schedule();
    }
  };
}
