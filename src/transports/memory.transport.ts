import type { EncodedEvent } from '../core/event-codec.js';
import { IdempotencyWindow } from '../core/idempotency-window.js';
import {
  TransportUnavailableError,
  type AppendOptions,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
} from './event-transport.js';

/**
 * The default: this process's bus sequences and delivers at once, so an
 * event has reached every local subscriber before `append` returns.
 */
export class MemoryTransport implements EventTransport {
  readonly sharedSequence = false;
  readonly name = 'memory';
  private sink: TransportSink | null = null;
  private _state: TransportState = 'starting';
  private ids: IdempotencyWindow<PublishReceipt> | null = null;

  get state(): TransportState {
    return this._state;
  }

  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
    this.ids = new IdempotencyWindow(
      sink.options.idempotencyWindowMs,
      sink.options.idempotencyMaxIds,
    );
    this._state = 'ready';
  }

  append(
    events: readonly EncodedEvent[],
    options?: AppendOptions,
  ): Promise<PublishReceipt> {
    const sink = this.sink;
    if (this._state !== 'ready' || !sink) {
      return Promise.reject(
        new TransportUnavailableError(
          `the memory transport is ${this._state === 'stopped' ? 'stopped' : 'not started'}: nothing was published`,
        ),
      );
    }
    const id = options?.id;
    const stored = id === undefined ? undefined : this.ids?.get(id);
    if (stored) return Promise.resolve({ ...stored, duplicate: true });
    const receipt = { seq: sink.lastSeq + 1, epoch: sink.epoch };
    for (const event of events) sink.sequence(event);
    if (id !== undefined) this.ids?.remember(id, receipt);
    return Promise.resolve(receipt);
  }

  async stop(): Promise<void> {
    this._state = 'stopped';
    this.sink = null;
    this.ids = null;
  }
}
