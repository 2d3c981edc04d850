import {
  Controller,
  Get,
  Inject,
  Logger,
  Query,
  Req,
  Res,
  UseFilters,
  UseInterceptors,
  type Type,
} from '@nestjs/common';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { TypeFilter } from '../../core/type-filter.js';
import { frameRuns } from '../../delivery/frame-runs.js';
import {
  ClientRequestError,
  parseClientRequest,
  type ClientRequest,
  type ClientRequestLimits,
} from '../../delivery/client-request.js';
import {
  awaitResumePoint,
  ClientSession,
  type SessionTransport,
} from '../../delivery/session.js';
import { SSE_EPOCH_COOKIE } from '../../protocol/messages.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import {
  closeNotice,
  RefusalLog,
  shutdownNotice,
  slowClientNotice,
} from '../../delivery/close-notice.js';
import {
  DELIVERY_OBSERVER,
  type DeliveryObserver,
  type DisconnectReason,
} from '../../delivery/delivery-observer.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';
import {
  AccessRefusedError,
  credentialExpired,
} from '../auth/access-refused.error.js';
import { runAt } from '../auth/expiry.js';
import { LivebusEntry } from '../auth/livebus-auth.guard.js';
import { LivebusAuth } from '../auth/livebus-auth.service.js';
import { assertReadable } from '../auth/read-permission.js';
import { closeFrame, sseEncoder } from './sse-frames.js';
import { StreamLimitsInterceptor } from '../limits/limits.interceptors.js';

/**
 * `GET <ssePath>`: the same stream as the Socket.IO gateway, as Server-Sent
 * Events for clients without Socket.IO. Each event has `id:` = its seq and
 * `event:` = its type; `Last-Event-ID` (sent by EventSource when it
 * reconnects, or `?lastEventId=`) resumes exactly like the gateway's
 * `lastSeq`; its epoch comes from `?epoch=`, else from the
 * `livebus_epoch` cookie this endpoint sets, else is taken to be the
 * current one. Delivery is the same bounded, drain-aware pump with gap
 * notices; an idle stream gets a keep-alive comment. A malformed request
 * is answered `400` (naming the field) by {@link BusExceptionFilter}. With
 * the `auth` option, only the types the principal may read (`403` for a
 * `?types=` that names another), and the stream ends when its credential
 * expires (`livebus:close` with `auth_expired`).
 */
@UseFilters(BusExceptionFilter)
@UseInterceptors(StreamLimitsInterceptor)
export class EventStreamController {
  private readonly keepAliveMs: number;
  private readonly cookiePath: string;
  private readonly limits: ClientRequestLimits;
  private readonly refusals = new RefusalLog(new Logger('EventStream'));

  constructor(
    private readonly bus: EventBusService,
    options: ResolvedEventBusOptions,
    path: string,
    private readonly observer: DeliveryObserver,
    private readonly auth: LivebusAuth,
  ) {
    this.keepAliveMs = options.sseKeepAliveMs;
    this.limits = {
      maxFilterTypes: options.maxFilterTypes,
      maxHandshakeBytes: options.maxHandshakeBytes,
    };
    this.cookiePath = '/' + path.replace(/^\/+/, '');
  }

  @Get()
  async stream(
    @Req() req: IncomingMessage,
    @Res() reply: ServerResponse | FastifyReplyLike,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const allowed = this.auth.allowedFor(req);
    const request = this.parseRequest(req, query, allowed);
    const res = nodeResponse(reply);
    await awaitResumePoint(this.bus, request);
    if (res.destroyed) return;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold events back.
      'X-Accel-Buffering': 'no',
      'Set-Cookie': `${SSE_EPOCH_COOKIE}=${encodeURIComponent(this.bus.epoch)}; Path=${this.cookiePath}; HttpOnly; SameSite=Lax`,
    });
    res.write('retry: 2000\n\n');
    let idle = true;
    const transport: SessionTransport<Buffer> = {
      encoder: sseEncoder,
      kind: 'sse',
      observer: this.observer,
      sink: {
        write(frames, onFlushed) {
          idle = false;
          let drained = true;
          for (const run of frameRuns(frames, (frame) => frame.length)) {
            drained = res.write(run.length === 1 ? run[0] : Buffer.concat(run));
          }
          // Drain-aware like the gateway: the next batch waits for 'drain'.
          if (drained) queueMicrotask(onFlushed);
          else res.once('drain', onFlushed);
        },
      },
    };
    const session = ClientSession.open(this.bus, request, transport, allowed);
    if (!session) {
      res.end(closeFrame(shutdownNotice()));
      return;
    }
    const keepAlive = setInterval(() => {
      // Not while something is still buffered: a client that stopped
      // reading is not idle, and must not grow the buffer.
      if (idle && res.writableLength === 0) res.write(': keep-alive\n\n');
      idle = true;
    }, this.keepAliveMs);
    keepAlive.unref();
    // The code the server ended the stream with, if it did.
    let closedWith: DisconnectReason = 'client_closed';
    const expiresAt = this.auth.stateOf(req)?.expiresAt ?? null;
    const cancelExpiry =
      expiresAt === null
        ? () => undefined
        : runAt(expiresAt, () => {
            const notice = credentialExpired().notice;
            closedWith = notice.code;
            res.end(closeFrame(notice));
          });
    const end = (): void => {
      clearInterval(keepAlive);
      cancelExpiry();
      session.close(closedWith);
    };
    res.once('close', end);
    session.subscription.onClose((reason) => {
      if (reason === 'closed') return;
      const notice =
        reason === 'overflow' ? slowClientNotice() : shutdownNotice();
      closedWith = notice.code;
      res.end(closeFrame(notice));
    });
  }

  private parseRequest(
    req: IncomingMessage,
    query: Record<string, unknown>,
    allowed: TypeFilter | null,
  ): ClientRequest {
    const lastEventId = req.headers['last-event-id'] ?? query.lastEventId;
    try {
      const request = parseClientRequest(
        {
          types: query.types,
          lastSeq: lastEventId,
          epoch:
            lastEventId === undefined
              ? undefined
              : (query.epoch ??
                epochCookie(req.headers.cookie) ??
                this.bus.epoch),
        },
        {},
        this.limits,
      );
      assertReadable(allowed, request.types);
      return request;
    } catch (error) {
      if (
        error instanceof ClientRequestError ||
        error instanceof AccessRefusedError
      ) {
        // Counted and logged here; the filter answers 400 or 403 with its field and code.
        const notice = closeNotice(error.code, error.message);
        this.observer.refused('sse', notice.code);
        this.refusals.refused('sse', notice);
      }
      throw error;
    }
  }
}

/** What the stream needs of Fastify's reply (`@nestjs/platform-fastify`). */
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}

/**
 * The Node response to stream to: Express's response is one; Fastify's reply
 * wraps it, and is told (`hijack`) that the handler writes it itself.
 */
function nodeResponse(
  reply: ServerResponse | FastifyReplyLike,
): ServerResponse {
  if (reply instanceof ServerResponse) return reply;
  reply.hijack();
  return reply.raw;
}

const EPOCH_COOKIE_PATTERN = new RegExp(
  `(?:^|;\\s*)${SSE_EPOCH_COOKIE}=([^;]*)`,
);

/** The epoch cookie's value; a malformed one counts as absent. */
function epochCookie(header: string | undefined): string | undefined {
  const value = EPOCH_COOKIE_PATTERN.exec(header ?? '')?.[1];
  try {
    return value ? decodeURIComponent(value) : undefined;
  } catch {
    return undefined;
  }
}

/** @internal An SSE controller bound to `path` (routes are class metadata). */
export function createEventStreamController(
  path: string,
): Type<EventStreamController> {
  @Controller(path)
  @LivebusEntry('sse')
  class BoundEventStreamController extends EventStreamController {
    constructor(
      bus: EventBusService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
      @Inject(DELIVERY_OBSERVER) observer: DeliveryObserver,
      auth: LivebusAuth,
    ) {
      super(bus, options, path, observer, auth);
    }
  }
  return BoundEventStreamController;
}
