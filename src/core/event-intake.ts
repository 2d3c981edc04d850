import { BusClosedError, InvalidEventError } from './errors.js';
import {
  encodeEvent,
  verifyEncoded,
  type EncodedEvent,
} from './event-codec.js';

/**
 * The bus's door: validates and encodes what is published, refuses it once
 * the bus is closed, and counts what it refused.
 */
export class EventIntake {
  /** Events refused as invalid or too large. */
  rejected = 0;
  /** Events refused because the bus was closed. */
  refusedClosed = 0;

  constructor(
    private readonly maxEventBytes: number,
    private readonly isClosed: () => boolean,
  ) {}

  /** Validates and encodes one event; throws `InvalidEventError` or `BusClosedError`. */
  accept(event: unknown): EncodedEvent {
    return this.check(event, encodeEvent);
  }

  /**
   * {@link accept} for several events, all or nothing, naming the bad index.
   * `rawJson[i]`, when given, is the JSON text `events[i]` was parsed from.
   */
  acceptAll(
    events: readonly unknown[],
    rawJson?: readonly (string | undefined)[],
  ): EncodedEvent[] {
    return events.map((event, index) => {
      try {
        const raw = rawJson?.[index];
        return raw === undefined
          ? this.accept(event)
          : this.check(event, (value, maxBytes) =>
              encodeEvent(value, maxBytes, raw),
            );
      } catch (error) {
        throw error instanceof InvalidEventError
          ? reindex(error, index)
          : error;
      }
    });
  }

  /** Checks an event that `encodeEvent` already validated and encoded (in a worker thread). */
  acceptEncoded(encoded: unknown): EncodedEvent {
    return this.check(encoded, verifyEncoded);
  }

  private check(
    event: unknown,
    encode: (value: unknown, maxBytes: number) => EncodedEvent,
  ): EncodedEvent {
    if (this.isClosed()) {
      this.refusedClosed++;
      throw new BusClosedError();
    }
    try {
      return encode(event, this.maxEventBytes);
    } catch (error) {
      this.rejected++;
      throw error;
    }
  }
}

/** The same error, its path and message naming `events[index]` instead of `event`. */
function reindex(error: InvalidEventError, index: number): InvalidEventError {
  const path = error.path.replace(/^event/, `events[${index}]`);
  const reindexed = Object.create(
    Object.getPrototypeOf(error) as object,
  ) as InvalidEventError;
  Object.assign(reindexed, error, {
    path,
    message: error.message.replace(/^event/, `events[${index}]`),
    stack: error.stack,
  });
  return reindexed;
}
