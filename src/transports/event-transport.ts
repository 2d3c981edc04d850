import type { LivebusCore } from '../core/livebus-core.js';
import type { EncodedEvent } from '../core/event-codec.js';

/** What a publish returns: where the event stands in the stream. */
export interface PublishReceipt {
  /** The event's sequence number (the first one's, for several). */
  readonly seq: number;
  /** The stream the seq belongs to. */
  readonly epoch: string;
}

/** Where a transport is: `degraded` while its backend is unreachable. */
export type TransportState = 'starting' | 'ready' | 'degraded' | 'stopped';

/**
 * Carries accepted events to the bus of every node: the in-memory transport
 * hands them straight to this process's bus; a shared one (Redis) stores
 * them, sequences them across nodes and feeds them back to each bus.
 */
export interface EventTransport {
  readonly kind: 'memory' | 'redis';
  readonly state: TransportState;
  /** Connects and loads the shared state into `bus`; throws a clear error if it cannot. */
  start(bus: LivebusCore): Promise<void>;
  /**
   * Appends accepted events, in order, and resolves with the first one's seq
   * (the rest follow it contiguously). Rejects with
   * `TransportUnavailableError` when the backend cannot take them now, or
   * did not confirm them (its `maybePublished` tells which).
   */
  append(events: readonly EncodedEvent[]): Promise<PublishReceipt>;
  stop(): Promise<void>;
}

/**
 * Thrown to a publisher when the shared transport cannot take events right
 * now (the ingest endpoint answers `503` with its message).
 */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  /**
   * `false`: the events were refused before they reached the backend (not
   * connected, or it answered with an error), so nothing was published and
   * publishing again is safe. `true`: they were sent and the answer was
   * lost (the connection dropped) or did not come in time, so they may
   * have been published: check (the snapshot, or the stream a subscriber
   * sees) before publishing them again, or they may appear twice.
   */
  readonly maybePublished: boolean;
  constructor(
    message: string,
    options?: { cause?: unknown; maybePublished?: boolean },
  ) {
    super(message, options);
    this.maybePublished = options?.maybePublished ?? false;
  }
}
