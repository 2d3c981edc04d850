import type { Socket as NetSocket } from 'node:net';
// Stalling a client for real, and measuring what the server holds for it:
// shared by the backpressure and conflate tests.
import type { Namespace } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';

/**
 * Socket.IO options for a test that keeps a client from reading for longer
 * than a heartbeat: a paused client cannot answer pings, so with the default
 * timing (25 s + 20 s) the heartbeat would drop it once a slow or busy
 * machine stretches the stall past 45 s, and the test would see a
 * disconnect instead of the queue bound it is about.
 */
export const STALL_TOLERANT_SOCKET_IO = {
  pingInterval: 25_000,
  pingTimeout: 10 * 60_000,
};

// The raw TCP socket under a socket.io-client WebSocket: pausing it makes the
// client stop reading for real, so the server's writes back up.
export interface PausableTcp {
  pause(): void;
  resume(): void;
}
export function tcpOf(socket: ClientSocket): PausableTcp {
  const engine = socket.io.engine as unknown as {
    transport: { ws: { _socket: PausableTcp } };
  };
  return engine.transport.ws._socket;
}

// What the server holds in its own memory for one client, in bytes: the
// Engine.IO write buffer plus what Node still holds for the TCP socket.
interface EnginePacket {
  data?: unknown;
  options?: { wsPreEncodedFrame?: Buffer[] };
}
interface EngineConn {
  writeBuffer: EnginePacket[];
  transport: { socket?: { _socket?: { writableLength: number } } };
}
export function serverBufferedBytes(namespace: Namespace, id: string): number {
  const conn = namespace.sockets.get(id)?.conn as unknown as
    EngineConn | undefined;
  // A client that has gone holds nothing.
  if (!conn) return 0;
  const queued = conn.writeBuffer.reduce((sum, packet) => {
    const frames = packet.options?.wsPreEncodedFrame;
    return (
      sum +
      (frames
        ? frames.reduce((n, frame) => n + frame.length, 0)
        : Buffer.byteLength(String(packet.data ?? '')))
    );
  }, 0);
  return queued + (conn.transport.socket?._socket?.writableLength ?? 0);
}

/** A client connection made to stop reading; `release()` lets it read again. */
export interface Stall {
  release(): void;
}

/**
 * Stops `tcp` from reading for real: paused, and deaf to whoever would
 * resume it meanwhile (the `ws` client resumes its socket by itself once it
 * has parsed what it buffered, which would end a stall after one large
 * message). Writing still works: a stalled client can still send.
 */
export function stallTcp(tcp: NetSocket): Stall {
  const resume = tcp.resume;
  tcp.resume = () => tcp;
  tcp.pause();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      tcp.resume = resume;
      tcp.resume();
    },
  };
}

/** The raw TCP socket under a socket.io-client WebSocket (once its engine is open). */
export function tcpOfSocketIo(socket: ClientSocket): NetSocket {
  const engine = socket.io.engine as unknown as {
    transport: { ws: { _socket: NetSocket } };
  };
  return engine.transport.ws._socket;
}

/**
 * Stalls a socket.io-client socket as soon as its Engine.IO connection is
 * open, before the namespace answers: it never reads its snapshot.
 */
export function stallOnOpen(socket: ClientSocket): Promise<Stall> {
  return new Promise((resolve) => {
    socket.io.once('open', () => resolve(stallTcp(tcpOfSocketIo(socket))));
  });
}
