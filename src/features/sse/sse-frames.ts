import type { Envelope } from '../../core/envelope.js';
import type { FrameEncoder } from '../../delivery/frames.js';
import { CLOSE_MESSAGE, type CloseNotice } from '../../protocol/codes.js';
import {
  GAP_MESSAGE,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  type Gap,
  type ResumedMeta,
  type SnapshotMeta,
} from '../../protocol/messages.js';
import { dataField, lineField } from './sse-fields.js';

// One encoder for all streams: each event's SSE frame is cached on it, and
// each snapshot frame is shared by the streams that hydrate at its point.
// Frames are bytes, written as they are: a stream that stops reading holds
// the shared frames, not a copy of each. Every field goes through
// sse-fields: nothing in a type or a JSON text can end a line of the stream.
export const sseEncoder: FrameEncoder<Buffer> = {
  event: (message: Envelope) =>
    Buffer.from(
      `id: ${message.seq}\n${lineField('event', message.type)}${dataField(message.json)}\n`,
    ),
  // No id: a gap notice must not move the client's Last-Event-ID.
  gap: (gap: Gap) => Buffer.from(message(GAP_MESSAGE, JSON.stringify(gap))),
  snapshot: (eventsJson: string, meta: SnapshotMeta) =>
    Buffer.from(
      `id: ${meta.seq}\n${message(
        SNAPSHOT_MESSAGE,
        `{"events":${eventsJson},"seq":${meta.seq},"epoch":${JSON.stringify(meta.epoch)},"reset":${meta.reset},"types":${JSON.stringify(meta.types)}}`,
      )}`,
    ),
  resumed: (meta: ResumedMeta) =>
    Buffer.from(message(RESUMED_MESSAGE, JSON.stringify(meta))),
};

/** An SSE message without an id: `event:`, `data:`, the blank line. */
function message(event: string, data: string): string {
  return `${lineField('event', event)}${dataField(data)}\n`;
}

/**
 * The last message of a stream the server ends: `event: livebus:close` with
 * the notice. EventSource reconnects by itself; a client that reads the code
 * calls `close()` where `CLOSE_CODES[code].reconnect` is false.
 */
export function closeFrame(notice: CloseNotice): string {
  return message(CLOSE_MESSAGE, JSON.stringify(notice));
}
