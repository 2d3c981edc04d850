import type { Socket } from 'socket.io';
import type { FrameSink } from '../../delivery/client-pump.js';
import { MAX_COPIED_FRAME_BYTES } from '../../delivery/frame-runs.js';
import {
  canWritePreEncoded,
  directSocketOf,
  type DirectSocket,
  type EngineConn,
} from './direct-socket.js';
import type { WireFrame } from './wire.js';

const TEXT_WRITE = { compress: false };

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
    // Runs as in `frameRuns`, found by index: a batch builds no arrays.
    const end = frames.length;
    let start = 0;
    for (let i = 0; i < end; i++) {
      if (frames[i].ws.length < MAX_COPIED_FRAME_BYTES) continue;
      if (start < i) writeBatch(conn, socket, joined(frames, start, i));
      writeBatch(
        conn,
        socket,
        frames[i].ws,
        i === end - 1 ? onFlushed : undefined,
      );
      start = i + 1;
    }
    if (start < end) {
      writeBatch(conn, socket, joined(frames, start, end), onFlushed);
    }
  }
}

/** One pre-encoded write: to the TCP socket when it may, else through Engine.IO. */
function writeBatch(
  conn: Socket['conn'],
  socket: DirectSocket | null,
  batch: Buffer,
  done?: () => void,
): void {
  if (socket !== null) {
    socket.write(batch, done);
    return;
  }
  // Engine.IO sends the pre-encoded frame and never reads the text of such
  // a packet: none is given (a shared frame has none kept).
  conn.write(
    '',
    { compress: false, wsPreEncodedFrame: [batch] } as { compress: boolean },
    done,
  );
}

/** The small frames `from` to `to` (exclusive) as one buffer (one alone: as is). */
function joined(
  frames: readonly WireFrame[],
  from: number,
  to: number,
): Buffer {
  if (to - from === 1) return frames[from].ws;
  let bytes = 0;
  for (let i = from; i < to; i++) bytes += frames[i].ws.length;
  const batch = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = from; i < to; i++) at += frames[i].ws.copy(batch, at);
  return batch;
}
