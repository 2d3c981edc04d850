import { InvalidEventError } from '../core/errors.js';
import { idempotencyIdProblem } from '../protocol/idempotency.js';
import type { AppendOptions } from '../transports/event-transport.js';

/** How to publish: `publish(event, { id })`. */
export interface PublishOptions {
  /**
   * An idempotency id for this publish (1 to 200 visible ASCII characters,
   * e.g. a UUID the publisher made once for the event): publishing again
   * with it within `idempotencyWindowMs` (on any node, with Redis) publishes
   * nothing and resolves with the first publish's receipt, marked
   * `duplicate: true`. A retry after `TransportUnavailableError` (even with
   * `maybePublished: true`) is then safe. The id names the publish, not its
   * content: give each event (or batch) its own.
   */
  id?: string;
}

/** `options` checked: a bad id throws `InvalidEventError` naming `options.id`. */
export function appendOptions(
  options: PublishOptions | undefined,
): AppendOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidEventError('options', 'must be an object such as { id }');
  }
  if (options.id === undefined) return undefined;
  const problem = idempotencyIdProblem(options.id);
  if (problem) throw new InvalidEventError('options.id', problem);
  return { id: options.id };
}
