import type { CloseReason } from '../core/subscription.js';
import type { Envelope } from '../core/envelope.js';
import type { Gap } from '../core/subscription.js';
import type { ResumedMeta, SnapshotMeta } from '../protocol/messages.js';
import type { ClientKind, DeliveryObserver } from './delivery-observer.js';

/**
 * What a transport (Socket.IO, SSE) hands delivery for one client: how the
 * bus's messages become its frames, and where those frames are written.
 * `ClientPump` and `ClientSession` both read these types; they live here so
 * neither has to import the other for them.
 */

/**
 * Where a pump writes one client's frames. `write` must call `onFlushed`
 * once the frames have left the process's buffers (the transport drained),
 * and never before. `frames` is the caller's until `write` returns (it may
 * be refilled for the next client): read it then, never keep it.
 */
export interface FrameSink<F> {
  write(frames: readonly F[], onFlushed: () => void): void;
}

/** How a transport turns the bus's messages into its frames. */
export interface FrameEncoder<F> {
  /** Must be the same function for every client: the frame is cached on the envelope. */
  readonly event: (message: Envelope) => F;
  readonly gap: (gap: Gap) => F;
  /**
   * The `snapshot` message: `eventsJson` is the snapshot object as JSON
   * text. Must be the same function for every client, and must not keep
   * `eventsJson` alive in anything but the frame: the frame is shared by
   * every client that hydrates at the same point (`SnapshotFrameCache`),
   * and is what a client that stops reading holds of its snapshot.
   */
  readonly snapshot: (eventsJson: string, meta: SnapshotMeta) => F;
  readonly resumed: (meta: ResumedMeta) => F;
}

/** How one transport (Socket.IO, SSE) encodes and writes a session's messages. */
export interface SessionTransport<F> {
  readonly encoder: FrameEncoder<F>;
  readonly sink: FrameSink<F>;
  /** Which kind of client, for the observer. @default 'socketio' */
  readonly kind?: ClientKind;
  /** Told of the session's life (metrics). @default one that does nothing */
  readonly observer?: DeliveryObserver;
  /**
   * Told when the subscription ended (before its `onClose` listeners); for
   * a transport that is one object per client, which then needs no
   * closure of its own.
   */
  closed?(reason: CloseReason): void;
  /**
   * Writes the hydration (and a resumed client's first replay batch) while
   * the session opens, not at the write scheduler's next turn. The gateway
   * asks for it: its hydration then joins Socket.IO's CONNECT packet in one
   * TCP write. @default false
   */
  readonly hydrateNow?: boolean;
}
