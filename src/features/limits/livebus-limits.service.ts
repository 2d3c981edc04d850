import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'socket.io';
import type { LimitContext, LimitKind } from '../../bus/access-options.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { RefusalLog, refusalError } from '../../delivery/close-notice.js';
import {
  DELIVERY_OBSERVER,
  type ClientKind,
  type DeliveryObserver,
} from '../../delivery/delivery-observer.js';
import type { CloseNotice } from '../../protocol/codes.js';
import type { SubscribeAck } from '../../protocol/messages.js';
import {
  ConnectionLimits,
  isLease,
  isNotice,
  type ConnectionLimitsStats,
} from './connection-limits.js';
import {
  IngestLimits,
  WorkerLimits,
  type IngestLimitsStats,
  type IngestRefusal,
  type WorkerLimitsStats,
} from './source-limits.js';

/** A Socket.IO namespace middleware. */
export type SocketMiddleware = (
  socket: Socket,
  next: (error?: Error) => void,
) => void;

/** What every limit refused or holds, for `LivebusStatsService` and tests. */
export interface LimitsStats {
  readonly connections: ConnectionLimitsStats;
  /** The ingest endpoint's limits, or `null` when it is off. */
  readonly ingest: IngestLimitsStats | null;
  /** The worker's limits, or `null` when none runs. */
  readonly worker: WorkerLimitsStats | null;
}

/**
 * Every limit of the module, in one place: connections (in total, per
 * principal, new ones per second per address), `subscribe` messages per
 * socket, and what each publishing source (the ingest endpoint, the
 * worker) may write and how fast. Refusals are `rate_limited` notices
 * (`connect_error` with `retryAfterMs`, or `429` with `Retry-After`),
 * counted here and in the delivery observer, and logged a line at a time.
 */
@Injectable()
export class LivebusLimits {
  readonly connections: ConnectionLimits;
  readonly ingest: IngestLimits | null;
  readonly worker: WorkerLimits | null;
  private readonly refusals = new RefusalLog(new Logger('LivebusLimits'));

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(DELIVERY_OBSERVER) private readonly observer: DeliveryObserver,
  ) {
    this.connections = new ConnectionLimits(options.limits);
    this.ingest =
      options.ingest &&
      new IngestLimits(options.ingest, options.limits.maxTrackedKeys);
    this.worker = options.worker && new WorkerLimits(options.worker.policy);
  }

  stats(): LimitsStats {
    return {
      connections: this.connections.stats(),
      ingest: this.ingest?.stats() ?? null,
      worker: this.worker?.stats() ?? null,
    };
  }

  /** The context `limits.principal` and `limits.address` read. */
  context(
    kind: LimitKind,
    request: IncomingMessage,
    socket: Socket | null = null,
  ): LimitContext {
    return {
      kind,
      address: this.options.limits.address(request),
      request,
      socket,
    };
  }

  /**
   * Namespace middleware, first in line: new connections per second per
   * address, before the handshake costs anything else.
   */
  readonly socketRate: SocketMiddleware = (socket, next) => {
    const notice = this.connections.checkRate(
      this.context('socketio', socket.request, socket),
    );
    next(notice ? this.refuse('socketio', notice) : undefined);
  };

  /**
   * Namespace middleware, last in line (after authentication, so that the
   * principal is known): a slot in the totals, given back by
   * {@link socketClosed}, which the gateway's disconnect listener calls
   * (one listener for every socket, no closure each); a socket that never
   * connects (its connection closed during the handshake) gives it back
   * once Socket.IO gave up on it.
   */
  readonly socketSlot: SocketMiddleware = (socket, next) => {
    const principal = this.connections.hold(
      this.context('socketio', socket.request, socket),
    );
    if (isNotice(principal)) {
      next(this.refuse('socketio', principal));
      return;
    }
    // The principal holding the slot, until it is given back: on the
    // socket, not in a map beside it (one entry per idle client).
    socket.data.livebusSlot = principal;
    next();
    // Socket.IO connects it (or drops it) on the tick `next` queued.
    process.nextTick(this.releaseUnconnected, socket);
  };

  /** Gives back the socket's slot, if it holds one (idempotent). */
  socketClosed(socket: Socket): void {
    const principal = socket.data.livebusSlot as string | null | undefined;
    if (principal === undefined) return;
    socket.data.livebusSlot = undefined;
    this.connections.give(principal);
  }

  private readonly releaseUnconnected = (socket: Socket): void => {
    if (!socket.connected) this.socketClosed(socket);
  };

  /** A `subscribe` message: `null` to go on, or the ack that refuses it. */
  subscribe(socket: Socket): SubscribeAck | null {
    const notice = this.connections.checkSubscribe(socket);
    if (!notice) return null;
    this.refusals.refused('socketio', notice);
    return {
      error: notice.message,
      code: notice.code,
      retryAfterMs: notice.retryAfterMs,
    };
  }

  /**
   * An SSE stream about to open: `null` with its slot taken (given back
   * when the response closes), or the notice to refuse with.
   */
  admitStream(req: IncomingMessage, res: ServerResponse): CloseNotice | null {
    const context = this.context('sse', req);
    const slot =
      this.connections.checkRate(context) ?? this.connections.admit(context);
    if (!isLease(slot)) {
      this.observer.refused('sse', slot.code);
      this.refusals.refused('sse', slot);
      return slot;
    }
    res.once('close', slot.release);
    return null;
  }

  /** An ingest request with its parsed body: `null` to go on, or its refusal. */
  checkIngest(req: IncomingMessage, body: unknown): IngestRefusal | null {
    if (!this.ingest) return null;
    const principal = this.options.limits.principal(
      this.context('ingest', req),
    );
    return this.ingest.check(principal, body);
  }

  private refuse(kind: ClientKind, notice: CloseNotice): Error {
    this.observer.refused(kind, notice.code);
    this.refusals.refused(kind, notice);
    return refusalError(notice);
  }
}
