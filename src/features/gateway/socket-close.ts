import type { Socket } from 'socket.io';
import type { DisconnectReason } from '../../delivery/delivery-observer.js';
import { CLOSE_MESSAGE, type CloseNotice } from '../../protocol/codes.js';

/** Sends `notice`, then disconnects; the code is remembered for the metrics. */
export function closeWith(socket: Socket, notice: CloseNotice): void {
  if (socket.disconnected) return;
  socket.data.livebusClose = notice.code;
  socket.emit(CLOSE_MESSAGE, notice);
  socket.disconnect(true);
}

/** Why a socket left, as a {@link DisconnectReason} (a bounded label). */
export function disconnectReason(
  socket: Socket,
  reason: string,
): DisconnectReason {
  const code = socket.data.livebusClose as DisconnectReason | undefined;
  if (code) return code;
  switch (reason) {
    case 'client namespace disconnect':
    case 'transport close':
      return 'client_closed';
    case 'server namespace disconnect':
      return 'server';
    case 'server shutting down':
      return 'server_shutdown';
    default:
      return 'connection_lost';
  }
}
