import type { Envelope } from '../../core/envelope.js';
import type { FrameEncoder } from '../../delivery/frames.js';
import {
  GAP_MESSAGE,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  type Gap,
  type ResumedMeta,
  type SnapshotMeta,
} from '../../protocol/messages.js';
import { eventPacketPrefix, wireFrame, type WireFrame } from './wire.js';

/**
 * How the gateway on `namespace` turns the bus's messages into wire frames:
 * one encoder for all its clients, so each event's frame is built once and
 * cached on the envelope.
 */
export function wireEncoder(namespace: string): FrameEncoder<WireFrame> {
  const prefix = eventPacketPrefix(namespace);
  const control = (name: string, args: string): WireFrame =>
    wireFrame(`${prefix}["${name}",${args}]`);
  return {
    event: (message: Envelope) =>
      wireFrame(
        `${prefix}[${JSON.stringify(message.type)},${message.json},{"seq":${message.seq}}]`,
      ),
    gap: (gap: Gap) => control(GAP_MESSAGE, JSON.stringify(gap)),
    snapshot: (eventsJson: string, meta: SnapshotMeta) =>
      control(SNAPSHOT_MESSAGE, `${eventsJson},${JSON.stringify(meta)}`),
    resumed: (meta: ResumedMeta) =>
      control(RESUMED_MESSAGE, JSON.stringify(meta)),
  };
}
