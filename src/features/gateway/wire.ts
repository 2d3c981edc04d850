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

function webSocketTextFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
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
  frame.write(payload, headerLength);
  return frame;
}
