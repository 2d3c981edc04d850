import type { Socket } from 'socket.io';
import type { FrameSink } from '../../delivery/client-pump.js';
import { frameRuns } from '../../delivery/frame-runs.js';
import {
  canWritePreEncoded,
  directSocketOf,
  type EngineConn,
} from './direct-socket.js';
import type { WireFrame } from './wire.js';

const TEXT_WRITE = { compress: false };
const frameBytes = (frame: WireFrame): number => frame.ws.length;

/**
 * Writes a batch and calls back once it drained. On a WebSocket the frames
 * go out pre-encoded, each still its own WebSocket frame (one Socket.IO
 * packet) for the client: small ones together as one buffer in one socket
 * write, a large one (a snapshot, a large event, shared by every client)
 * on its own, as is, never copied per client.
 *
 * When nothing of Engine.IO's waits to be written (see `directSocketOf`)
 * the batch goes straight to the TCP socket, the very write Engine.IO's
 * WebSocket transport would make, without its packet objects, events and
 * callback lists: that bookkeeping is most of what one delivery costs.
 * Otherwise (Engine.IO has packets waiting, a long-polling client, an
 * upgrade under way) it goes through Engine.IO, behind them.
 */
export class WebSocketAwareSink implements FrameSink<WireFrame> {
  // A class, not a closure over `conn`: one object per client.
  constructor(private readonly conn: Socket['conn']) {}

  write(frames: readonly WireFrame[], onFlushed: () => void): void {
    const conn = this.conn;
    const engine = conn as unknown as EngineConn;
    const socket = directSocketOf(engine);
    if (socket === null && !canWritePreEncoded(engine)) {
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) conn.write(frames[i].text, TEXT_WRITE);
      conn.write(frames[last].text, TEXT_WRITE, onFlushed);
      return;
    }
    // One event to one client, the common case: no runs to build.
    const runs = frames.length === 1 ? [frames] : frameRuns(frames, frameBytes);
    const last = runs.length - 1;
    for (let i = 0; i <= last; i++) {
      const batch = batchOf(runs[i]);
      const done = i === last ? onFlushed : undefined;
      if (socket !== null) {
        socket.write(batch, done);
      } else {
        // Engine.IO sends the pre-encoded frame and never reads the text
        // of such a packet: none is given (a shared frame has none kept).
        conn.write(
          '',
          { compress: false, wsPreEncodedFrame: [batch] } as {
            compress: boolean;
          },
          done,
        );
      }
    }
  }
}

function batchOf(run: readonly WireFrame[]): Buffer {
  return run.length === 1
    ? run[0].ws
    : Buffer.concat(run.map((frame) => frame.ws));
}
