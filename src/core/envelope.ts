import type { BusMessage } from './bus-message.js';
import type { BusEvent } from '../protocol/event-map.js';

/**
 * One accepted event: its sequence number and JSON text, shared by every
 * subscriber. The parsed event is built lazily (consumers that only forward
 * the JSON never pay for it) and deep-frozen so no subscriber can change what
 * another one sees.
 */
export class Envelope<E extends BusEvent = BusEvent> implements BusMessage<E> {
  private parsed: E | undefined;
  // A gateway and an SSE stream may both encode the same event: a few slots.
  private encodings: [encoder: object, encoded: unknown][] | undefined;

  constructor(
    readonly seq: number,
    readonly type: E['type'],
    readonly json: string,
    /** When the bus accepted it (ms since the epoch), for age-bounded history. */
    readonly acceptedAt: number = Date.now(),
  ) {}

  get event(): E {
    return (this.parsed ??= deepFreeze(JSON.parse(this.json) as E));
  }

  /**
   * Returns `encode(this)`, computed once per encoder: a gateway encodes an
   * event into its wire format once for all of its clients.
   */
  encodeWith<T>(encode: (message: Envelope<E>) => T): T {
    const encodings = (this.encodings ??= []);
    for (const [encoder, encoded] of encodings) {
      if (encoder === encode) return encoded as T;
    }
    const encoded = encode(this);
    encodings.push([encode, encoded]);
    return encoded;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
