import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'socket.io';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { closeNotice, RefusalLog } from '../../delivery/close-notice.js';
import {
  DELIVERY_OBSERVER,
  type DeliveryObserver,
} from '../../delivery/delivery-observer.js';
import { OriginPolicy } from './origin-policy.js';

/** Requests refused for their origin since start. */
export interface OriginsStats {
  /** Socket.IO handshakes (WebSocket or long-polling). */
  readonly socketio: number;
  /** The module's HTTP routes. */
  readonly http: number;
}

/** The stable code of an origin refusal. */
export const ORIGIN_NOT_ALLOWED = 'origin_not_allowed';

type AllowRequest = (
  req: IncomingMessage,
  callback: (error: string | null | undefined, success: boolean) => void,
) => void;

/** The part of an Engine.IO server the origins policy hooks into. */
interface EngineHooks {
  opts: { allowRequest?: AllowRequest };
  use(
    middleware: (
      req: IncomingMessage,
      res: ServerResponse,
      next: (error?: Error) => void,
    ) => void,
  ): void;
}

/**
 * Applies the `origins` option: to every Engine.IO handshake of the
 * Socket.IO server (WebSocket upgrades and long-polling, through
 * `allowRequest`: a refused origin gets no session at all, `403` for
 * polling, `400` for an upgrade, with the message `origin_not_allowed: ...`),
 * CORS for long-polling, and CORS with preflight for the module's HTTP
 * routes (a refused origin gets `403` with `code: 'origin_not_allowed'`).
 */
@Injectable()
export class LivebusOrigins {
  readonly policy: OriginPolicy;
  private readonly refusals = new RefusalLog(new Logger('LivebusOrigins'));
  private readonly refused = { socketio: 0, http: 0 };
  private readonly guarded = new WeakSet<object>();

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    @Inject(DELIVERY_OBSERVER) private readonly observer: DeliveryObserver,
  ) {
    this.policy = new OriginPolicy(options.origins);
  }

  stats(): OriginsStats {
    return { ...this.refused };
  }

  /**
   * Hooks the policy into `server`'s Engine.IO handshakes, before the
   * app's own `allowRequest` (which still runs for what this lets
   * through). It covers every namespace of that server: an origin is a
   * property of the page, not of a namespace.
   */
  guardServer(server: Server): void {
    const engine = (server as unknown as { engine?: EngineHooks }).engine;
    if (!engine || this.guarded.has(engine)) return;
    this.guarded.add(engine);
    const previous = engine.opts.allowRequest;
    engine.opts.allowRequest = (req, callback) => {
      if (this.policy.judge(req.headers) === 'refused') {
        const message = this.policy.refusalMessage(req.headers);
        this.count('socketio', message);
        callback(`${ORIGIN_NOT_ALLOWED}: ${message}`, false);
        return;
      }
      if (previous) previous(req, callback);
      else callback(null, true);
    };
    // Long-polling is plain HTTP: an allowed other origin needs CORS
    // (an upgrade does not); its preflight is answered here.
    engine.use((req, res, next) => {
      if (req.headers.upgrade) return next();
      if (this.answerCors(req, res)) return;
      next();
    });
  }

  /**
   * The HTTP routes' middleware: `403 origin_not_allowed` for a refused
   * origin, CORS headers for an allowed other one, and its preflight
   * (`OPTIONS`) answered `204`.
   */
  readonly http = (
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
  ): void => {
    if (this.policy.judge(req.headers) === 'refused') {
      const message = this.policy.refusalMessage(req.headers);
      this.count('http', message);
      res.writeHead(403, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          statusCode: 403,
          error: 'Forbidden',
          message,
          code: ORIGIN_NOT_ALLOWED,
        }),
      );
      return;
    }
    if (this.answerCors(req, res)) return;
    next();
  };

  /** Sets CORS headers for an allowed other origin; `true` when it answered a preflight. */
  private answerCors(req: IncomingMessage, res: ServerResponse): boolean {
    const verdict = this.policy.judge(req.headers);
    if (verdict === 'refused') return false; // allowRequest answers it
    const preflight =
      req.method === 'OPTIONS' &&
      req.headers['access-control-request-method'] !== undefined;
    if (verdict !== 'cross-origin') return false;
    const headers = this.policy.corsHeaders(req.headers, preflight);
    for (const [name, value] of Object.entries(headers)) {
      res.setHeader(name, value);
    }
    if (!preflight) return false;
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  }

  private count(kind: 'socketio' | 'http', message: string): void {
    this.refused[kind]++;
    const notice = closeNotice(ORIGIN_NOT_ALLOWED, message);
    if (kind === 'socketio') this.observer.refused('socketio', notice.code);
    this.refusals.refused(kind, notice);
  }
}
