import type { ExecutionContext } from '@nestjs/common';

/** Which of the bus's entry points a guard is asked about. */
export type LivebusEntryKind =
  'socketio' | 'sse' | 'snapshot' | 'ingest' | 'stats' | 'metrics';

/** @internal The metadata key of {@link LivebusEntryKind}. */
export const LIVEBUS_ENTRY = 'livebus:entry';

/**
 * Which of the bus's entry points `context` is (the Socket.IO handshake or
 * a credential refresh: `'socketio'`), or `null` for any other route or
 * handler: for a guard that treats them apart, e.g. one that reads a token
 * from the query string only on the SSE stream (`EventSource` cannot send
 * headers).
 */
export function getLivebusEntry(
  context: ExecutionContext,
): LivebusEntryKind | null {
  const read = (target: object): LivebusEntryKind | undefined =>
    Reflect.getMetadata(LIVEBUS_ENTRY, target) as LivebusEntryKind | undefined;
  return read(context.getHandler()) ?? read(context.getClass()) ?? null;
}
