import {
  BadRequestException,
  Controller,
  HttpCode,
  HttpException,
  Optional,
  HttpStatus,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  SetMetadata,
  UseFilters,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import { LivebusEntry } from '../auth/livebus-auth.guard.js';
import { LivebusAuth } from '../auth/livebus-auth.service.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  idempotencyIdProblem,
} from '../../protocol/idempotency.js';
import { checkParsedBody, readJsonBody } from './ingest-body.js';
import { arrayElementTexts } from './json-elements.js';
import {
  claimIngestRoutes,
  INGEST_ROUTE,
  isClaimed,
} from './ingest-route-claim.js';
import { ingestMessages } from './ingest.messages.js';
import { retryAfterSeconds } from '../limits/limits.interceptors.js';
import { LivebusLimits } from '../limits/livebus-limits.service.js';

/** What `POST <ingest.path>` answers with `202 Accepted`. */
export interface IngestResult {
  /** How many events were published. */
  accepted: number;
  /** `seq` of the first and last of them. */
  firstSeq: number;
  lastSeq: number;
  /**
   * `true` when the request's `Idempotency-Key` had been published already
   * (within `idempotencyWindowMs`): nothing was published again, and the
   * seqs are the first request's.
   */
  duplicate?: true;
}

type IngestRequest = IncomingMessage & { body?: unknown };

interface HeaderWritable {
  setHeader(name: string, value: string): unknown;
}

/**
 * `POST <ingest.path>`: publishes one event (a JSON object) or several (a JSON
 * array, in order) for processes that are not Nest providers. A request is
 * all or nothing: `400` names the first bad event's field and publishes none,
 * `413` refuses a body or event over its limit, `415` a body that is not
 * JSON, `403` an event type the principal may not publish (the `auth`
 * option's `canPublish`). The route reads its own body (the app's body
 * parsers pass it by, see `claimIngestRoutes`), after the app's guards,
 * counting the bytes it reads against `maxRequestBytes`. An
 * `Idempotency-Key` header makes it idempotent: the same key again (within
 * `idempotencyWindowMs`) publishes nothing and answers with the first
 * request's seqs.
 */
@UseFilters(BusExceptionFilter)
export class EventsController implements OnModuleInit {
  private readonly maxRequestBytes: number;
  private readonly logger = new Logger('EventsController');

  constructor(
    private readonly bus: EventBusService,
    options: ResolvedEventBusOptions,
    private readonly auth: LivebusAuth,
    // Optional: with a second @nestjs/core it is another class, and the
    // start-up check (preflight) says what to do.
    @Optional()
    @Inject(HttpAdapterHost)
    private readonly adapterHost: HttpAdapterHost | undefined,
    private readonly limits: LivebusLimits,
  ) {
    this.maxRequestBytes = options.maxRequestBytes;
  }

  /** Nest's routes are registered by now: keep the body parsers off ours. */
  onModuleInit(): void {
    if (!claimIngestRoutes(this.adapterHost)) {
      this.logger.warn(
        'the ingest route is read by the app body parser (not an Express app): maxRequestBytes is checked against the declared and parsed size only',
      );
    }
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @SetMetadata(INGEST_ROUTE, true)
  async ingest(
    @Req() req: IngestRequest,
    @Res({ passthrough: true }) res: HeaderWritable,
  ): Promise<IngestResult> {
    const { value: body, bytes } = await this.body(req, res);
    const id = idempotencyKey(req.headers);
    const events = Array.isArray(body) ? body : [body];
    if (events.length === 0) {
      throw new BadRequestException(ingestMessages.emptyArray());
    }
    // This source's rates and what it may write (the body is read by now).
    const refusal = this.limits.checkIngest(req, body);
    if (refusal) {
      if (refusal.retryAfterMs !== undefined) {
        res.setHeader('Retry-After', retryAfterSeconds(refusal.retryAfterMs));
      }
      throw new HttpException(refusal.body, refusal.status);
    }
    this.auth.assertPublishable(req, events, !Array.isArray(body));
    // A single object keeps `event.…` paths in errors; an array names
    // indexes. The bus's refusals are answered by BusExceptionFilter.
    const options = id === undefined ? undefined : { id };
    // Each event's JSON as sent, not stringified again after parsing.
    const rawJson =
      Array.isArray(body) && bytes
        ? (arrayElementTexts(bytes, events) ?? undefined)
        : undefined;
    const { seq, duplicate } = Array.isArray(body)
      ? await this.bus.publishAll(events, options, rawJson)
      : await this.bus.publish(body as never, options);
    return {
      accepted: events.length,
      firstSeq: seq,
      lastSeq: seq + events.length - 1,
      ...(duplicate ? { duplicate: true as const } : {}),
    };
  }

  /**
   * The parsed body, read here unless an app parser already read it (then
   * without its bytes).
   */
  private async body(
    req: IngestRequest,
    res: HeaderWritable,
  ): Promise<{ value: unknown; bytes: Buffer | null }> {
    // Read already by the app's parser: Express's when the route could not
    // be claimed, or a framework whose request is not Node's stream
    // (Fastify's, which parses before handlers run).
    const parsedElsewhere =
      !isClaimed(req) &&
      (req.readableDidRead || typeof req.pipe !== 'function');
    if (parsedElsewhere) {
      return {
        value: checkParsedBody(req, this.maxRequestBytes),
        bytes: null,
      };
    }
    try {
      return await readJsonBody(req, this.maxRequestBytes);
    } catch (error) {
      // Refused before its end: answer, then close rather than drain an
      // upload of any length.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
  }
}

/** The request's `Idempotency-Key`, checked (`400` naming the header otherwise). */
function idempotencyKey(headers: IngestRequest['headers']): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  const problem = Array.isArray(value)
    ? 'must be given once'
    : idempotencyIdProblem(value);
  if (problem) {
    throw new BadRequestException({
      statusCode: HttpStatus.BAD_REQUEST,
      error: 'Bad Request',
      message: ingestMessages.badIdempotencyKey(problem),
      field: IDEMPOTENCY_KEY_HEADER,
    });
  }
  return value as string;
}

/** @internal An ingest controller bound to `path` (routes are class metadata). */
export function createIngestController(path: string): Type<EventsController> {
  @Controller(path)
  @LivebusEntry('ingest')
  class BoundEventsController extends EventsController {
    constructor(
      bus: EventBusService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
      auth: LivebusAuth,
      @Optional()
      @Inject(HttpAdapterHost)
      adapterHost: HttpAdapterHost | undefined,
      limits: LivebusLimits,
    ) {
      super(bus, options, auth, adapterHost, limits);
    }
  }
  return BoundEventsController;
}
