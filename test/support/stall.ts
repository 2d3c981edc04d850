import type { Socket as NetSocket } from 'node:net';
import type { Socket as ClientSocket } from 'socket.io-client';

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
