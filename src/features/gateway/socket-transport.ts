import type { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { CloseReason } from '../../core/subscription.js';
import type { DeliveryObserver } from '../../delivery/delivery-observer.js';
import type {
  FrameEncoder,
  FrameSink,
  SessionTransport,
} from '../../delivery/frames.js';
import type { ClientRequest } from '../../delivery/client-request.js';
import { ClientSession } from '../../delivery/session.js';
import {
  shutdownNotice,
  slowClientNotice,
} from '../../delivery/close-notice.js';
import type { LivebusLimits } from '../limits/livebus-limits.service.js';
import { WebSocketAwareSink } from './engine-sink.js';
import { closeWith, disconnectReason } from './socket-close.js';
import type { WireFrame } from './wire.js';

/*
 * What the gateway keeps per Socket.IO client, lean because thousands of
 * idle clients each keep it for their whole life: objects with methods and
 * listeners shared by every socket rather than closures per socket, and
 * `socket.data.livebus` (one slot per socket, no map) holding the client's
 * request during the handshake and its session after.
 */

/** What every client of one gateway shares. */
export interface SocketTransportHost {
  readonly encoder: FrameEncoder<WireFrame>;
  readonly observer: DeliveryObserver;
  readonly logger: Pick<Logger, 'warn'>;
}

/** One client's transport: its sink, and what its subscription's end does. */
export class SocketTransport
  extends WebSocketAwareSink
  implements SessionTransport<WireFrame>
{
  constructor(
    private readonly socket: Socket,
    private readonly host: SocketTransportHost,
  ) {
    super(socket.conn);
  }

  get encoder(): FrameEncoder<WireFrame> {
    return this.host.encoder;
  }

  get observer(): DeliveryObserver {
    return this.host.observer;
  }

  get sink(): FrameSink<WireFrame> {
    return this;
  }

  /** The hydration joins Socket.IO's CONNECT packet in one TCP write. */
  get hydrateNow(): boolean {
    return true;
  }

  /** For overflow or the bus closing, the client is disconnected. */
  closed(reason: CloseReason): void {
    if (reason === 'closed') return;
    if (reason === 'overflow') {
      this.host.logger.warn(
        `client disconnected: transport=socketio code=slow_client (its queue overflowed, overflow policy 'disconnect')`,
      );
      closeWith(this.socket, slowClientNotice());
      return;
    }
    closeWith(this.socket, shutdownNotice());
  }
}

export function holdRequest(socket: Socket, request: ClientRequest): void {
  socket.data.livebus = request;
}

/** The request the handshake parsed (read once, when the session opens). */
export function requestOf(socket: Socket): ClientRequest {
  return socket.data.livebus as ClientRequest;
}

export function holdSession(
  socket: Socket,
  session: ClientSession<WireFrame>,
): void {
  socket.data.livebus = session;
}

/** The client's session, once it opened. */
export function sessionOf(socket: Socket): ClientSession<WireFrame> | null {
  const held: unknown = socket.data.livebus;
  return held instanceof ClientSession
    ? (held as ClientSession<WireFrame>)
    : null;
}

/**
 * 'disconnect' comes once: one listener for every socket (its `this` is
 * the socket), not a closure each. It ends the session and gives back the
 * socket's slot in the connection limits.
 */
export function disconnectListener(
  limits: LivebusLimits,
): (this: Socket, reason: string) => void {
  return function (this: Socket, reason: string): void {
    sessionOf(this)?.close(disconnectReason(this, reason));
    limits.socketClosed(this);
  };
}
