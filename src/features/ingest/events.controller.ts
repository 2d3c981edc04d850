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
  UseFilters,
  UseInterceptors,
  type Type,
} from '@nestjs/common';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';
import { ingestMessages } from './ingest.messages.js';
import { IngestLimitsInterceptor } from '../limits/limits.interceptors.js';

/** What `POST <ingest.path>` answers with `202 Accepted`. */
export interface IngestResult {
  /** How many events were published. */
  accepted: number;
  /** `seq` of the first and last of them. */
  firstSeq: number;
  lastSeq: number;
}

interface IngestRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * `POST <ingest.path>`: publishes one event (a JSON object) or several (a JSON
 * array, in order) for processes that are not Nest providers. A request is
 * all or nothing: `400` names the first bad event's field and publishes none,
 * `413` refuses a body or event over its limit.
 */
@UseFilters(BusExceptionFilter)
@UseInterceptors(IngestLimitsInterceptor)
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
    const events = Array.isArray(body) ? body : [body];
    if (events.length === 0) {
      throw new BadRequestException(ingestMessages.emptyArray());
    }
    // A single object keeps `event.…` paths in errors; an array names
    // indexes. The bus's refusals are answered by BusExceptionFilter.
    const { seq } = Array.isArray(body)
      ? await this.bus.publishAll(events)
      : await this.bus.publish(body as never);
    return {
      accepted: events.length,
      firstSeq: seq,
      lastSeq: seq + events.length - 1,
    };
  }
}

function isJsonContentType(value: string | string[] | undefined): boolean {
  const type = Array.isArray(value) ? value[0] : value;
  return (
    typeof type === 'string' && /^application\/([\w.+-]+\+)?json\b/i.test(type)
  );
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
