import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LivebusOrigins } from './livebus-origins.service.js';

/**
 * @internal The origins policy on the module's HTTP routes (snapshot, SSE,
 * ingest), before the app's guards: see {@link LivebusOrigins.http}.
 */
@Injectable()
export class OriginsMiddleware implements NestMiddleware {
  constructor(private readonly origins: LivebusOrigins) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    this.origins.http(req, res, next);
  }
}
