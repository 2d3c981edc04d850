import type { Socket } from 'socket.io';
import type { FrameSink } from '../../delivery/client-pump.js';
import type { WireFrame } from './wire.js';

const TEXT_WRITE = { compress: false };

/** The parts of Engine.IO's WebSocket transport the batched write relies on. */
interface EngineTransport {
  name: string;
  perMessageDeflate?: unknown;
  socket?: { _sender?: { sendFrame?: unknown } };
}

/**
 * Writes a batch through Engine.IO and calls back once its transport
 * drained. On a WebSocket all frames go out as one buffer in one socket
 * write, each still its own WebSocket frame (one Socket.IO packet) for the
 * client; other transports get one text packet per frame.
 */
export function webSocketAwareSink(conn: Socket['conn']): FrameSink<WireFrame> {
  return {
    write(frames, onFlushed) {
      if (canWritePreEncoded(conn.transport as unknown as EngineTransport)) {
        const batch =
          frames.length === 1
            ? frames[0].ws
            : Buffer.concat(frames.map((frame) => frame.ws));
        conn.write(
          frames[0].text,
          { compress: false, wsPreEncodedFrame: [batch] } as {
            compress: boolean;
          },
          onFlushed,
        );
        return;
      }
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) conn.write(frames[i].text, TEXT_WRITE);
      conn.write(frames[last].text, TEXT_WRITE, onFlushed);
    },
  };
}

/**
 * Engine.IO writes `wsPreEncodedFrame` straight to the TCP socket (the path
 * Socket.IO's own broadcast uses) when the transport is a WebSocket without
 * compression. Mirrors Engine.IO's own check, so the batch is never sent
 * any other way.
 */
function canWritePreEncoded(transport: EngineTransport): boolean {
  return (
    transport.name === 'websocket' &&
    !transport.perMessageDeflate &&
    typeof transport.socket?._sender?.sendFrame === 'function'
  );
}
