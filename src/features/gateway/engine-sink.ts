import type { Socket } from 'socket.io';
import type { FrameSink } from '../../delivery/client-pump.js';
import { frameRuns } from '../../delivery/frame-runs.js';
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
 * drained. On a WebSocket the frames go out pre-encoded, each still its own
 * WebSocket frame (one Socket.IO packet) for the client: small ones
 * together as one buffer in one socket write, a large one (a snapshot, a
 * large event, shared by every client) on its own, as is, never copied per
 * client. Other transports get one text packet per frame.
 */
export function webSocketAwareSink(conn: Socket['conn']): FrameSink<WireFrame> {
  return {
    write(frames, onFlushed) {
      if (canWritePreEncoded(conn.transport as unknown as EngineTransport)) {
        const runs = frameRuns(frames, (frame) => frame.ws.length);
        const last = runs.length - 1;
        for (let i = 0; i <= last; i++) {
          const run = runs[i];
          const batch =
            run.length === 1
              ? run[0].ws
              : Buffer.concat(run.map((frame) => frame.ws));
          // Engine.IO sends the pre-encoded frame and never reads the text
          // of such a packet: none is given (a shared frame has none kept).
          conn.write(
            '',
            { compress: false, wsPreEncodedFrame: [batch] } as {
              compress: boolean;
            },
            i === last ? onFlushed : undefined,
          );
        }
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
