import type { EncodedEvent } from '../core/event-codec.js';
import {
  TransportUnavailableError,
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

  get state(): TransportState {
    return this._state;
  }

  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
    this._state = 'ready';
  }

  append(events: readonly EncodedEvent[]): Promise<PublishReceipt> {
    const sink = this.sink;
    if (this._state !== 'ready' || !sink) {
      return Promise.reject(
        new TransportUnavailableError(
          `the memory transport is ${this._state === 'stopped' ? 'stopped' : 'not started'}: nothing was published`,
        ),
      );
    }
    const seq = sink.lastSeq + 1;
    for (const event of events) sink.sequence(event);
    return Promise.resolve({ seq, epoch: sink.epoch });
  }

  async stop(): Promise<void> {
    this._state = 'stopped';
    this.sink = null;
  }
}
