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
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Envelope } from '../../core/envelope.js';
import type { FrameEncoder } from '../../delivery/client-pump.js';
import {
  ClientRequestError,
  parseClientRequest,
  type ClientRequest,
} from '../../delivery/client-request.js';
import {
  awaitResumePoint,
  ClientSession,
  type SessionTransport,
} from '../../delivery/session.js';
import {
  GAP_MESSAGE,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  SSE_EPOCH_COOKIE,
  type Gap,
  type ResumedMeta,
  type SnapshotMeta,
} from '../../protocol/messages.js';
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
import { CLOSE_MESSAGE, type CloseNotice } from '../../protocol/codes.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';
import { StreamLimitsInterceptor } from '../limits/limits.interceptors.js';

// One encoder for all streams: each event's SSE frame is cached on it.
const encoder: FrameEncoder<string> = {
  event: (message: Envelope) =>
    `id: ${message.seq}\nevent: ${message.type}\ndata: ${message.json}\n\n`,
  // No id: a gap notice must not move the client's Last-Event-ID.
  gap: (gap: Gap) => `event: ${GAP_MESSAGE}\ndata: ${JSON.stringify(gap)}\n\n`,
  snapshot: (eventsJson: string, meta: SnapshotMeta) =>
    `id: ${meta.seq}\nevent: ${SNAPSHOT_MESSAGE}\ndata: {"events":${eventsJson},"seq":${meta.seq},"epoch":${JSON.stringify(meta.epoch)},"reset":${meta.reset},"types":${JSON.stringify(meta.types)}}\n\n`,
  resumed: (meta: ResumedMeta) =>
    `event: ${RESUMED_MESSAGE}\ndata: ${JSON.stringify(meta)}\n\n`,
};

/**
 * `GET <ssePath>`: the same stream as the Socket.IO gateway, as Server-Sent
 * Events for clients without Socket.IO. Each event has `id:` = its seq and
 * `event:` = its type; `Last-Event-ID` (sent by EventSource when it
 * reconnects, or `?lastEventId=`) resumes exactly like the gateway's
 * `lastSeq`; its epoch comes from `?epoch=`, else from the
 * `livebus_epoch` cookie this endpoint sets, else is taken to be the
 * current one. Delivery is the same bounded, drain-aware pump with gap
 * notices; an idle stream gets a keep-alive comment. A malformed request
 * is answered `400` (naming the field) by {@link BusExceptionFilter}.
 */
@UseFilters(BusExceptionFilter)
@UseInterceptors(StreamLimitsInterceptor)
export class EventStreamController {
  private readonly keepAliveMs: number;
  private readonly cookiePath: string;
  private readonly refusals = new RefusalLog(new Logger('EventStream'));

  constructor(
    private readonly bus: EventBusService,
    options: ResolvedEventBusOptions,
    path: string,
    private readonly observer: DeliveryObserver,
  ) {
    this.keepAliveMs = options.sseKeepAliveMs;
    this.cookiePath = '/' + path.replace(/^\/+/, '');
  }

  @Get()
  async stream(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const request = this.parseRequest(req, query);
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
    const write = (chunk: string): boolean => {
      idle = false;
      return res.write(chunk);
    };
    const transport: SessionTransport<string> = {
      encoder,
      kind: 'sse',
      observer: this.observer,
      sink: {
        write(frames, onFlushed) {
          // Drain-aware like the gateway: the next batch waits for 'drain'.
          if (write(frames.join(''))) queueMicrotask(onFlushed);
          else res.once('drain', onFlushed);
        },
      },
    };
    const session = ClientSession.open(this.bus, request, transport);
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
    const end = (): void => {
      clearInterval(keepAlive);
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
  ): ClientRequest {
    const lastEventId = req.headers['last-event-id'] ?? query.lastEventId;
    try {
      return parseClientRequest(
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
      );
    } catch (error) {
      if (error instanceof ClientRequestError) {
        // Counted and logged here; the filter answers 400 with its field and code.
        const notice = closeNotice(error.code, error.message);
        this.observer.refused('sse', notice.code);
        this.refusals.refused('sse', notice);
      }
      throw error;
    }
  }
}

/**
 * The last message of a stream the server ends: `event: livebus:close` with
 * the notice. EventSource reconnects by itself; a client that reads the code
 * calls `close()` where `CLOSE_CODES[code].reconnect` is false.
 */
function closeFrame(notice: CloseNotice): string {
  return `event: ${CLOSE_MESSAGE}\ndata: ${JSON.stringify(notice)}\n\n`;
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
  class BoundEventStreamController extends EventStreamController {
    constructor(
      bus: EventBusService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
      @Inject(DELIVERY_OBSERVER) observer: DeliveryObserver,
    ) {
      super(bus, options, path, observer);
    }
  }
  return BoundEventStreamController;
}
