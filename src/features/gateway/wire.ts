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

/**
 * The wire format, built by hand so that each event is encoded once for all
 * clients: the Socket.IO packet text, and the complete WebSocket frame that
 * carries it as an Engine.IO message.
 */

/** One message ready for any client: its Socket.IO text and its WebSocket frame. */
export interface WireFrame {
  /** Socket.IO packet text, for transports that frame it themselves (long-polling). */
  readonly text: string;
  /** RFC 6455 text frame holding the Engine.IO message `4<text>`, unmasked (server to client). */
  readonly ws: Buffer;
}

// Socket.IO packet type 2 is EVENT; Engine.IO packet type 4 is MESSAGE.
const SOCKET_IO_EVENT = '2';
const ENGINE_IO_MESSAGE = '4';

/** The prefix of every EVENT packet in `namespace`: `2/ns,` (or `2` for `/`). */
export function eventPacketPrefix(namespace: string): string {
  return SOCKET_IO_EVENT + (namespace === '/' ? '' : `${namespace},`);
}

/** Builds the wire frame of a Socket.IO packet text. */
export function wireFrame(text: string): WireFrame {
  return { text, ws: webSocketTextFrame(ENGINE_IO_MESSAGE + text) };
}

/**
 * Builds the wire frame of a large Socket.IO packet text shared by many
 * clients (a snapshot): only its WebSocket frame is kept, and the text is
 * decoded from it when a transport asks for it (long-polling, rare).
 * Keeping both would hold the snapshot twice.
 */
export function sharedWireFrame(text: string): WireFrame {
  return new FrameWithLazyText(webSocketTextFrame(ENGINE_IO_MESSAGE + text));
}

class FrameWithLazyText implements WireFrame {
  private decoded: string | undefined;

  constructor(readonly ws: Buffer) {}

  get text(): string {
    // The payload after the frame header, without Engine.IO's `4`.
    const header = headerLength(this.ws);
    return (this.decoded ??= this.ws.toString('utf8', header + 1));
  }
}

/** The header length of a frame {@link webSocketTextFrame} built. */
function headerLength(frame: Buffer): number {
  const length = frame[1];
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}

function webSocketTextFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const frame = frameWithHeader(length);
  frame.write(payload, frame.length - length);
  return frame;
}

/**
 * The frame of an event packet `<prefix>[<type>,<json>,{"seq":<seq>}]`,
 * its pieces written straight into the frame: no packet string is built
 * (it would be a second copy of every event, garbage at once), and the
 * text is decoded from the frame only for a transport that asks for it.
 */
export function eventWireFrame(
  prefix: string,
  type: string,
  json: string,
  seq: number,
): WireFrame {
  const head = `${ENGINE_IO_MESSAGE}${prefix}[${JSON.stringify(type)},`;
  const tail = `,{"seq":${seq}}]`;
  const headBytes = Buffer.byteLength(head);
  const jsonBytes = Buffer.byteLength(json);
  const length = headBytes + jsonBytes + tail.length;
  const frame = frameWithHeader(length);
  let at = frame.length - length;
  at += frame.write(head, at, 'utf8');
  at += frame.write(json, at, 'utf8');
  frame.write(tail, at, 'latin1');
  return new FrameWithLazyText(frame);
}

/** A text frame of a `length`-byte payload, its header written, payload not. */
function frameWithHeader(length: number): Buffer {
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + text opcode
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  return frame;
}

/**
 * The encoder of the gateway on `namespace`: one for all of its clients, so
 * that each event's frame is cached on the event, and each snapshot frame
 * is shared by the clients that hydrate at its point.
 */
export function wireEncoder(namespace: string): FrameEncoder<WireFrame> {
  const prefix = eventPacketPrefix(namespace);
  const control = (name: string, args: string): WireFrame =>
    wireFrame(`${prefix}["${name}",${args}]`);
  return {
    event: (message: Envelope) =>
      eventWireFrame(prefix, message.type, message.json, message.seq),
    gap: (gap: Gap) => control(GAP_MESSAGE, JSON.stringify(gap)),
    snapshot: (eventsJson: string, meta: SnapshotMeta) =>
      sharedWireFrame(
        `${prefix}["${SNAPSHOT_MESSAGE}",${eventsJson},${JSON.stringify(meta)}]`,
      ),
    resumed: (meta: ResumedMeta) =>
      control(RESUMED_MESSAGE, JSON.stringify(meta)),
  };
}
