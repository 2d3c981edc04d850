import type { EventBus } from '../core/event-bus.js';
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
  start(bus: EventBus): Promise<void>;
  /**
   * Appends accepted events, in order, and resolves with the first one's seq
   * (the rest follow it contiguously). Rejects with
   * `TransportUnavailableError` when the backend cannot take them now.
   */
  append(events: readonly EncodedEvent[]): Promise<PublishReceipt>;
  stop(): Promise<void>;
}

/** Thrown to a publisher when the shared transport cannot take events right now. */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
