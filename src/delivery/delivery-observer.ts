import type { Envelope } from '../core/envelope.js';
import type { ResumePlan } from '../core/livebus-core.js';
import type { CloseCode } from '../protocol/codes.js';
import type { Gap } from '../protocol/messages.js';

/** How a client is connected: a Socket.IO socket or an SSE stream. */
export type ClientKind = 'socketio' | 'sse';

/** Every {@link ClientKind}, for tables and metrics. */
export const CLIENT_KINDS: readonly ClientKind[] = ['socketio', 'sse'];

/**
 * Why a client's session ended: the close code the server sent, or what
 * the client or the network did. A small closed set, fit for a metric label.
 */
export type DisconnectReason =
  | CloseCode
  /** The client left (closed the socket or the stream). */
  | 'client_closed'
  /** The connection broke (transport error, ping timeout). */
  | 'connection_lost'
  /** The server ended it without a code (an app called `disconnect`). */
  | 'server';

/** What an observer may read of a session. */
export interface ObservedSession {
  readonly kind: ClientKind;
  readonly subscription: {
    readonly size: number;
    readonly capacity: number;
    readonly dropped: number;
  };
}

/**
 * Told what happens to clients' sessions, at the few points that cannot be
 * read later from counters: open (and how the client was hydrated), each
 * batch written, a re-hydration, close (and why), a refused connection.
 * Called on the delivery path: implementations must be cheap and must not
 * throw.
 */
export interface DeliveryObserver {
  /** `resume` is the plan for a client that asked to resume, else `null`. */
  opened(session: ObservedSession, resume: ResumePlan | null): void;
  /**
   * A batch is handed to the client's transport: its events (a resumed
   * client's replay when `replay`) and the gap notice before them.
   * `messages` is refilled for the next client: read it, never keep it.
   */
  writing(
    session: ObservedSession,
    messages: readonly Envelope[],
    gap: Gap | null,
    replay: boolean,
  ): void;
  /** A fresh snapshot replaced the client's state (it asked, or a new epoch began). */
  resynced(session: ObservedSession): void;
  closed(session: ObservedSession, reason: DisconnectReason): void;
  /** A connection was refused before it started, with `code`. */
  refused(kind: ClientKind, code: CloseCode): void;
}

/** An observer that does nothing: the default. */
export const NO_DELIVERY_OBSERVER: DeliveryObserver = {
  opened: () => undefined,
  writing: () => undefined,
  resynced: () => undefined,
  closed: () => undefined,
  refused: () => undefined,
};

/** @internal The token under which the module provides its observer. */
export const DELIVERY_OBSERVER = Symbol('LIVEBUS_DELIVERY_OBSERVER');
