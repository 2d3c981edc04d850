import type { LivebusCore } from '../core/livebus-core.js';
import type { EncodedEvent } from '../core/event-codec.js';
import type {
  EventTransport,
  PublishReceipt,
  TransportState,
} from './event-transport.js';

/**
 * The default: this process's bus sequences and delivers at once, so an
 * event has reached every local subscriber before `append` returns.
 */
export class MemoryTransport implements EventTransport {
  readonly kind = 'memory';
  private bus: LivebusCore | null = null;
  private _state: TransportState = 'starting';

  get state(): TransportState {
    return this._state;
  }

  async start(bus: LivebusCore): Promise<void> {
    this.bus = bus;
    this._state = 'ready';
  }

  append(events: readonly EncodedEvent[]): Promise<PublishReceipt> {
    return Promise.resolve(this.appendNow(events));
  }

  /** The synchronous form, for callers that need delivery before they go on. */
  appendNow(events: readonly EncodedEvent[]): PublishReceipt {
    const bus = this.bus!;
    const seq = bus.lastSeq + 1;
    for (const event of events) bus.sequence(event);
    return { seq, epoch: bus.epoch };
  }

  async stop(): Promise<void> {
    this._state = 'stopped';
  }
}
