import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Inject,
  PayloadTooLargeException,
  Post,
  Req,
  ServiceUnavailableException,
  type Type,
} from '@nestjs/common';
import {
  BusClosedError,
  EventTooLargeError,
  InvalidEventError,
} from '../../core/errors.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import { TransportUnavailableError } from '../../transports/event-transport.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  idempotencyIdProblem,
} from '../../protocol/idempotency.js';
import { ingestMessages } from './ingest.messages.js';

/** What `POST <ingestPath>` answers with `202 Accepted`. */
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

interface IngestRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * `POST <ingestPath>`: publishes one event (a JSON object) or several (a JSON
 * array, in order) for processes that are not Nest providers. A request is
 * all or nothing: `400` names the first bad event's field and publishes none,
 * `413` refuses a body or event over its limit. An `Idempotency-Key` header
 * makes it idempotent: the same key again (within `idempotencyWindowMs`)
 * publishes nothing and answers with the first request's seqs.
 */
export class EventsController {
  private readonly maxRequestBytes: number;

  constructor(
    private readonly bus: EventBusService,
    options: ResolvedEventBusOptions,
  ) {
    this.maxRequestBytes = options.maxRequestBytes;
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async ingest(
    @Req() req: IngestRequest,
    @Body() body: unknown,
  ): Promise<IngestResult> {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > this.maxRequestBytes) {
      throw new PayloadTooLargeException(
        ingestMessages.bodyTooLarge(length, this.maxRequestBytes),
      );
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new BadRequestException(ingestMessages.notJson());
    }
    const id = idempotencyKey(req.headers);
    const events = Array.isArray(body) ? body : [body];
    if (events.length === 0) {
      throw new BadRequestException(ingestMessages.emptyArray());
    }
    try {
      // A single object keeps `event.…` paths in errors; an array names indexes.
      const options = id === undefined ? undefined : { id };
      const { seq, duplicate } = Array.isArray(body)
        ? await this.bus.publishAll(events, options)
        : await this.bus.publish(body as never, options);
      return {
        accepted: events.length,
        firstSeq: seq,
        lastSeq: seq + events.length - 1,
        ...(duplicate ? { duplicate: true as const } : {}),
      };
    } catch (error) {
      throw toHttpError(error);
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

function isJsonContentType(value: string | string[] | undefined): boolean {
  const type = Array.isArray(value) ? value[0] : value;
  return (
    typeof type === 'string' && /^application\/([\w.+-]+\+)?json\b/i.test(type)
  );
}

function toHttpError(error: unknown): unknown {
  if (error instanceof EventTooLargeError) {
    return new PayloadTooLargeException({
      statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
      error: 'Payload Too Large',
      message: error.message,
      field: error.path,
    });
  }
  if (error instanceof InvalidEventError) {
    return new BadRequestException({
      statusCode: HttpStatus.BAD_REQUEST,
      error: 'Bad Request',
      message: error.message,
      field: error.path,
    });
  }
  if (
    error instanceof BusClosedError ||
    error instanceof TransportUnavailableError
  ) {
    return new ServiceUnavailableException(error.message);
  }
  return error;
}

/** @internal An ingest controller bound to `path` (routes are class metadata). */
export function createIngestController(path: string): Type<EventsController> {
  @Controller(path)
  class BoundEventsController extends EventsController {
    constructor(
      bus: EventBusService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    ) {
      super(bus, options);
    }
  }
  return BoundEventsController;
}
