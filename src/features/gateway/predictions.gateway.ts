import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { ModuleRef } from '@nestjs/core';
import type { Namespace, Socket } from 'socket.io';
import type { FrameEncoder } from '../../delivery/client-pump.js';
import {
  ClientRequestError,
  parseClientRequest,
  parseSubscribeTypes,
  type ClientRequest,
  type ClientRequestLimits,
} from '../../delivery/client-request.js';
import {
  awaitResumePoint,
  ClientSession,
  MAX_WAITING_RESYNCS,
} from '../../delivery/session.js';
import {
  closeNotice,
  refusalError,
  RefusalLog,
  shutdownNotice,
  tooManyResyncsNotice,
} from '../../delivery/close-notice.js';
import { type DeliveryObserver } from '../../delivery/delivery-observer.js';
import { LivebusDrain } from '../../bus/livebus-drain.js';
import type { CloseNotice } from '../../protocol/codes.js';
import {
  AccessRefusedError,
  credentialExpired,
  socketRefusalNotice,
} from '../auth/access-refused.error.js';
import { watchSocketExpiry } from '../auth/expiry.js';
import { LivebusAuth } from '../auth/livebus-auth.service.js';
import { assertReadable } from '../auth/read-permission.js';
import { closeWith } from './socket-close.js';
import { type ResolvedEventBusOptions } from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import {
  disconnectListener,
  holdRequest,
  holdSession,
  requestOf,
  sessionOf,
  SocketTransport,
  type SocketTransportHost,
} from './socket-transport.js';
import { coalesceHandshakeWrites } from './coalesced-writes.js';
import { deferMessageHandlers } from './deferred-message-handlers.js';
import { LivebusLimits } from '../limits/livebus-limits.service.js';
import { LivebusOrigins } from '../origins/livebus-origins.service.js';
import { wireEncoder, type WireFrame } from './wire.js';
import {
  SUBSCRIBE_MESSAGE,
  type SubscribeAck,
} from '../../protocol/messages.js';

/**
 * The Socket.IO gateway on the `namespace` option (default `/predictions`).
 *
 * Every client gets its own bounded subscription, opened on connect and
 * closed on disconnect. It first receives one `snapshot` message (the latest
 * event of each type, with the `seq` and `epoch` it reflects) or, when it
 * resumes, a `resumed` message and the events it missed; then every later
 * event as a Socket.IO event named by its `type`, whose first argument is
 * the event as published and whose second is `{ seq }`. Events move from the
 * queue to the socket only while the client's transport keeps up, so a
 * client that stops reading costs at most its queue; what it lost is told by
 * a `gap` message before the next event.
 *
 * The handshake goes through the app's global guards and the `auth`
 * option's (see `LivebusAuth`): a refused client gets `connect_error` and
 * never a byte of the stream; an admitted one reads what its principal may.
 * `subscribe` is a Nest message handler: the guards, pipes, interceptors
 * and filters an app applies (`APP_GUARD`, `useGlobalInterceptors`, ...)
 * run for it as for any gateway message. The module registers a subclass
 * bound to the configured namespace (see {@link createPredictionsGateway});
 * inject it by this class.
 */
export class PredictionsGateway
  implements
    OnGatewayInit<Namespace>,
    OnGatewayConnection<Socket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('PredictionsGateway');
  private readonly namespaceName: string;
  private readonly encoder: FrameEncoder<WireFrame>;
  private namespace: Namespace | undefined;
  private readonly shutdownGraceMs: number;
  private readonly limits: ClientRequestLimits;
  private readonly refusals = new RefusalLog(this.logger);
  private readonly transportHost: SocketTransportHost;
  private readonly socketDisconnected: (this: Socket, reason: string) => void;

  constructor(
    private readonly bus: EventBusService,
    options: ResolvedEventBusOptions,
    private readonly observer: DeliveryObserver,
    private readonly drain: LivebusDrain,
    private readonly auth: LivebusAuth,
    private readonly rateLimits: LivebusLimits,
    private readonly origins: LivebusOrigins,
    private readonly moduleRef?: ModuleRef,
  ) {
    this.namespaceName = options.namespace;
    this.shutdownGraceMs = options.shutdownGraceMs;
    this.limits = {
      maxFilterTypes: options.maxFilterTypes,
      maxHandshakeBytes: options.maxHandshakeBytes,
    };
    // One encoder for all clients: each event's frame is cached on it.
    this.encoder = wireEncoder(this.namespaceName);
    this.socketDisconnected = disconnectListener(rateLimits);
    this.transportHost = {
      encoder: this.encoder,
      observer,
      logger: this.logger,
    };
  }

  /**
   * @internal Whether Nest mounted this gateway on a Socket.IO server
   * (`afterInit` ran); the module's start-up check reads it.
   */
  get mounted(): boolean {
    return this.namespace !== undefined;
  }

  /** Nest hands in the namespace the gateway is bound to. */
  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    // `subscribe`'s Nest pipeline is built for a socket when it first sends one.
    deferMessageHandlers(this.moduleRef, namespace);
    // Origins, at the Engine.IO handshake (WebSocket and long-polling).
    this.origins.guardServer(namespace.server);
    // New connections per second per address: first, before any work.
    namespace.use(this.rateLimits.socketRate);
    namespace.use((socket, next) => {
      if (this.drain.draining || this.bus.isClosed) {
        next(this.refuse(shutdownNotice()));
        return;
      }
      let request: ClientRequest;
      try {
        request = parseClientRequest(
          socket.handshake.auth,
          socket.handshake.query,
          this.limits,
        );
      } catch (error) {
        if (!(error instanceof ClientRequestError)) throw error;
        // The client's connect_error carries the message and `data: { code }`.
        next(this.refuse(closeNotice(error.code, error.message)));
        return;
      }
      holdRequest(socket, request);
      // The app's guards (global ones and the `auth` option's), then the
      // types it asks for against what it may read; only then may it wait.
      this.auth
        .admitSocket(socket, socket.handshake.auth)
        .then(() => assertReadable(this.auth.allowedFor(socket), request.types))
        .then(
          () => awaitResumePoint(this.bus, request).then(() => next()),
          (error: unknown) =>
            next(this.refuse(socketRefusalNotice(error, this.logger))),
        );
    });
    // Connections in total and per principal: last, once the principal is
    // known (authentication's middleware goes before this one).
    namespace.use(this.rateLimits.socketSlot);
    // A new client's first writes, two by two: last, once it is admitted.
    coalesceHandshakeWrites(namespace);
  }

  /**
   * Tells every client the server is going (a `livebus:close` notice with
   * the code `server_shutdown`, then `io server disconnect`) and waits, at
   * most `shutdownGraceMs`, for that to leave: Nest's `dispose()`, which
   * comes next, closes Engine.IO sockets discarding what they still
   * buffer, a last event in flight and the disconnect packet behind it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const closed = [...this.openConnections()].map(
      (conn) => new Promise((resolve) => conn.once('close', resolve)),
    );
    for (const socket of this.namespace?.sockets.values() ?? []) {
      closeWith(socket, shutdownNotice());
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.shutdownGraceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * The Engine.IO connections shutdown waits for: this namespace's, and
   * any already closing (a client just disconnected: its last packets are
   * still leaving). Found when needed, not tracked per connection (a
   * listener and a set entry for each idle client).
   */
  private openConnections(): Set<Socket['conn']> {
    const conns = new Set<Socket['conn']>();
    for (const socket of this.namespace?.sockets.values() ?? []) {
      if (socket.conn.readyState !== 'closed') conns.add(socket.conn);
    }
    const engine = this.namespace?.server.engine as unknown as
      { clients?: Record<string, Socket['conn']> } | undefined;
    for (const conn of Object.values(engine?.clients ?? {})) {
      if (conn.readyState === 'closing') conns.add(conn);
    }
    return conns;
  }

  /** Opens the client's session (Nest calls it for every connection). */
  handleConnection(socket: Socket): void {
    // First: it also gives back the socket's slot in the connection limits.
    socket.on('disconnect', this.socketDisconnected);
    const session = ClientSession.open(
      this.bus,
      requestOf(socket),
      new SocketTransport(socket, this.transportHost),
      this.auth.allowedFor(socket),
    );
    if (!session) {
      closeWith(socket, shutdownNotice());
      return;
    }
    watchSocketExpiry(
      this.auth,
      socket,
      {
        refreshed: () => session.restrict(this.auth.allowedFor(socket)),
        expired: () => closeWith(socket, credentialExpired().notice),
      },
      this.logger,
    );
    holdSession(socket, session);
  }

  /** Counts and logs a refused connection; the error for `next()`. */
  private refuse(notice: CloseNotice): Error {
    this.observer.refused('socketio', notice.code);
    this.refusals.refused('socketio', notice);
    return refusalError(notice);
  }

  /**
   * `subscribe`: changes the client's type filter (`{ types }`; without
   * it, keeps the filter) and re-hydrates it with a fresh snapshot. The
   * ack answers `{ seq }` (the snapshot's) once the snapshot is on its
   * way, or `{ error, code }`. Requests made before the snapshot is
   * written are merged into one, and every one of them is answered with
   * its seq. A client with more than {@link MAX_WAITING_RESYNCS} requests
   * unanswered (it sends and does not read) is disconnected with
   * `rate_limited`: what it is owed stays bounded.
   */
  @SubscribeMessage(SUBSCRIBE_MESSAGE)
  subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: unknown,
  ): SubscribeAck | Promise<SubscribeAck> | undefined {
    const session = sessionOf(socket);
    if (!session) {
      return {
        error: 'this connection has no subscription (the server is closing)',
        code: 'unavailable',
      };
    }
    const limited = this.rateLimits.subscribe(socket);
    if (limited) return limited;
    let types = session.subscription.types;
    try {
      const asked = parseSubscribeTypes(body, this.limits);
      if (asked !== undefined) {
        types = asked;
        assertReadable(session.allowed, types);
      }
    } catch (error) {
      const known =
        error instanceof ClientRequestError ||
        error instanceof AccessRefusedError;
      if (!known) throw error;
      return { error: error.message, code: error.code };
    }
    if (session.waitingResyncs >= MAX_WAITING_RESYNCS) {
      this.logger.warn(
        `client disconnected: transport=socketio code=rate_limited (${MAX_WAITING_RESYNCS} subscribe requests unanswered)`,
      );
      closeWith(socket, tooManyResyncsNotice());
      return undefined;
    }
    return new Promise((resolve) => {
      session.resync(types, (seq) => resolve({ seq }));
    });
  }
}
