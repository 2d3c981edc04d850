import type { LivebusCore } from '../core/livebus-core.js';
import type { EncodedEvent } from '../core/event-codec.js';
import type { HistogramSnapshot } from '../core/latency-histogram.js';

/** What a publish returns: where the event stands in the stream. */
export interface PublishReceipt {
  /** The event's sequence number (the first one's, for several). */
  readonly seq: number;
  /** The stream the seq belongs to. */
  readonly epoch: string;
}

/** Where a transport is: `degraded` while its backend is unreachable. */
export type TransportState = 'starting' | 'ready' | 'degraded' | 'stopped';

/** What a shared transport reports about itself (for metrics and health). */
export interface TransportStats {
  /** Times the shared stream began a new epoch after start (its data was lost or replaced). */
  readonly epochChanges: number;
  /** How long appends took to be answered, in ms (failures included). */
  readonly commandLatency: HistogramSnapshot;
  /** Appends that failed (refused, unanswered, timed out). */
  readonly commandErrors: number;
  /**
   * The newest seq of the shared stream, asked of the backend now, or
   * `null` when it could not be asked: with the bus's own `lastSeq`, how
   * far this node's reader trails.
   */
  readonly headSeq: number | null;
}

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
  /** Optional: how the shared backend is doing (a memory transport has nothing to say). */
  stats?(): Promise<TransportStats>;
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
