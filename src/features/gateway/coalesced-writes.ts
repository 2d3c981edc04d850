import type { IncomingMessage } from 'node:http';
import type { Socket as TcpSocket } from 'node:net';
import type { Namespace, Server, Socket } from 'socket.io';
import { directSocketOf, type EngineConn } from './direct-socket.js';

/**
 * A new WebSocket client costs the server three TCP writes before it is
 * live: the HTTP 101 answer, Engine.IO's `open` packet, then Socket.IO's
 * CONNECT packet and the hydration behind it. A write is a system call, and
 * on a busy server the system calls are most of what a connection costs.
 * These hold a socket's writes (`cork`) across two of those steps, so that
 * each pair leaves in one `writev`: two writes per client instead of four.
 * Only the timing changes: what is written, and its order, stay the same.
 */

/** Engine.IO's request for a new client (`_query` is its parsed query). */
type EngineRequest = IncomingMessage & { _query?: { transport?: string } };

const engines = new WeakSet<object>();
// The TCP sockets corked at the 101 answer, until Engine.IO's `open` packet.
const corkedForOpen = new WeakSet<TcpSocket>();

/**
 * The 101 answer and the `open` packet in one write. ws writes the answer
 * right after Engine.IO's `initial_headers` event, Engine.IO sends `open`
 * a microtask later (once it has the client's id) and emits `connection`
 * right behind it: cork at the first, uncork at the second. A handshake
 * that fails in between destroys the socket (Engine.IO's `abortUpgrade`).
 * Long-polling is left as it is (each of its answers is one write already).
 */
function coalesceOpeningWrites(server: Server): void {
  const engine = server.engine;
  if (engine === undefined || engines.has(engine)) return;
  engines.add(engine);
  engine.on('initial_headers', (_headers: unknown, req: EngineRequest) => {
    if (req._query?.transport !== 'websocket') return;
    const socket = req.socket;
    if (!socket.writable) return;
    socket.cork();
    corkedForOpen.add(socket);
  });
  engine.on('connection', (conn: { request?: IncomingMessage }) => {
    const socket = conn.request?.socket;
    if (socket !== undefined && corkedForOpen.delete(socket)) socket.uncork();
  });
}

/**
 * Both pairs, for `namespace`'s clients. Call it after the namespace's
 * other middleware: it adds the last one.
 */
export function coalesceHandshakeWrites(namespace: Namespace): void {
  coalesceOpeningWrites(namespace.server);
  namespace.use(holdWritesForConnect);
}

/**
 * Socket.IO's CONNECT packet and the hydration in one write. The last
 * middleware, as it admits a client: Socket.IO writes CONNECT in the next
 * tick (`process.nextTick`, queued by this `next()`) and the gateway writes
 * the hydration right behind it in the same call; the socket is uncorked
 * by the tick queued after that one. When Socket.IO connects at another
 * moment, the two writes simply leave apart.
 */
function holdWritesForConnect(socket: Socket, next: () => void): void {
  next();
  const tcp = directSocketOf(socket.conn as unknown as EngineConn);
  if (tcp === null) return;
  tcp.cork();
  process.nextTick(uncork, tcp);
}

function uncork(socket: { uncork(): void }): void {
  socket.uncork();
}
