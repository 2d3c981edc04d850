/**
 * Thrown when an event is refused by the bus: not a plain JSON object, no
 * non-empty string `type`, a reserved type, or a value that is not JSON.
 * `path` names the offending field (`event.type`, `event.payload.when`, ...).
 */
export class InvalidEventError extends TypeError {
  override readonly name: string = 'InvalidEventError';
  constructor(
    /** Where in the event the problem is, e.g. `event.type`. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Thrown when an event's JSON encoding is larger than `maxEventBytes`. */
export class EventTooLargeError extends InvalidEventError {
  override readonly name = 'EventTooLargeError';
  constructor(
    /** Size of the encoded event in bytes. */
    readonly bytes: number,
    /** The configured limit in bytes. */
    readonly limit: number,
  ) {
    super(
      'event',
      `encodes to ${bytes} bytes, over the limit of ${limit} bytes (option maxEventBytes)`,
    );
  }
}

/** Thrown by `publish` after the bus was closed (application shutdown). */
export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  constructor() {
    super(
      'The event bus is closed (the application is shutting down); the event was not published',
    );
  }
}

/**
 * Thrown by `publish` before the module has initialised (the transport is
 * not connected yet): publish from `onModuleInit` or later, or await
 * `whenReady()`.
 */
export class BusNotReadyError extends Error {
  override readonly name = 'BusNotReadyError';
  constructor() {
    super(
      'The event bus is not ready yet (the module has not initialised); publish from onModuleInit or later, or await bus.whenReady()',
    );
  }
}
