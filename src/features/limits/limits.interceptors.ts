import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { LivebusLimits } from './livebus-limits.service.js';

/** `Retry-After` in whole seconds (at least 1) for a wait in ms. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * @internal The SSE stream's limits: new connections per second per
 * address, connections in total and per principal (shared with Socket.IO).
 * An interceptor, so it runs after the app's guards (the principal is
 * known); a refusal is `429` with `Retry-After` and `code: 'rate_limited'`.
 */
@Injectable()
export class StreamLimitsInterceptor implements NestInterceptor {
  constructor(private readonly limits: LivebusLimits) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    // Express hands Node's own objects; Fastify wraps them (`raw`).
    const res = nodeObject(http.getResponse<ServerResponse>());
    const notice = this.limits.admitStream(
      nodeObject(http.getRequest<IncomingMessage>()),
      res,
    );
    if (notice) {
      const retryAfterMs = notice.retryAfterMs ?? 1000;
      res.setHeader('Retry-After', retryAfterSeconds(retryAfterMs));
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: notice.message,
          code: notice.code,
          retryAfterMs,
        },
        429,
      );
    }
    return next.handle();
  }
}

/** The Node request or response under a framework's wrapper (Fastify's `raw`). */
function nodeObject<T extends object>(value: T): T {
  return (value as { raw?: T }).raw ?? value;
}
