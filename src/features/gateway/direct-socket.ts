/**
 * The parts of an Engine.IO connection (engine.io 6, `ws` 8) that decide
 * whether a pre-encoded WebSocket frame may be written straight to its TCP
 * socket. Read from node_modules/engine.io/build/socket.js and
 * transports/websocket.js: Engine.IO's own WebSocket transport writes a
 * packet's `wsPreEncodedFrame` with `ws`'s `sender.sendFrame`, i.e.
 * `socket.write(frame, cb)` on the TCP socket; this does the same write.
 */
export interface EngineConn {
  readyState: string;
  /** Packets Engine.IO holds until its transport is writable again. */
  writeBuffer: readonly unknown[];
  transport: {
    name: string;
    perMessageDeflate?: unknown;
    socket?: {
      readyState?: number;
      _sender?: { sendFrame?: unknown; _queue?: readonly unknown[] };
      _socket?: DirectSocket;
    };
  };
}

/** The TCP socket under the WebSocket: what the batch is written to. */
export interface DirectSocket {
  readonly writable: boolean;
  write(data: Buffer, cb?: (error?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
}

const WS_OPEN = 1;

/**
 * The TCP socket to write a pre-encoded frame to, or `null` when it must go
 * through Engine.IO. Straight to the socket only when that cannot overtake
 * or corrupt anything:
 * - the connection is open (Engine.IO writes nothing once it is closing)
 *   and holds no packet in its write buffer (an ack, a ping, a close
 *   notice written before must go first: Engine.IO has already handed
 *   anything not in that buffer to the socket, in order);
 * - the transport is a WebSocket (not long-polling, so also not in the
 *   middle of an upgrade: Engine.IO switches `conn.transport` only once the
 *   upgrade is done and flushes its buffer in the same step), without
 *   per-message deflate (a compressed frame is built by `ws`, later), open
 *   (no close frame sent), with nothing queued in `ws`'s sender.
 */
export function directSocketOf(conn: EngineConn): DirectSocket | null {
  if (conn.readyState !== 'open' || conn.writeBuffer.length > 0) return null;
  const transport = conn.transport;
  if (transport.name !== 'websocket' || transport.perMessageDeflate) {
    return null;
  }
  const ws = transport.socket;
  if (ws === undefined || ws.readyState !== WS_OPEN) return null;
  const sender = ws._sender;
  if (
    sender === undefined ||
    typeof sender.sendFrame !== 'function' ||
    (sender._queue !== undefined && sender._queue.length > 0)
  ) {
    return null;
  }
  const socket = ws._socket;
  return socket !== undefined && socket.writable ? socket : null;
}

/**
 * Engine.IO writes `wsPreEncodedFrame` straight to the TCP socket when the
 * transport is a WebSocket without compression. Mirrors Engine.IO's own
 * check, so a batch handed to Engine.IO with one is never sent any other way.
 */
export function canWritePreEncoded(conn: EngineConn): boolean {
  const transport = conn.transport;
  return (
    transport.name === 'websocket' &&
    !transport.perMessageDeflate &&
    typeof transport.socket?._sender?.sendFrame === 'function'
  );
}
