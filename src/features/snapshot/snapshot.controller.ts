import {
  Controller,
  Get,
  Header,
  Req,
  Res,
  UseFilters,
  type Type,
} from '@nestjs/common';
import { EventBusService } from '../../bus/event-bus.service.js';
import { LivebusEntry } from '../auth/livebus-auth.guard.js';
import { LivebusAuth } from '../auth/livebus-auth.service.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';

/** The response headers that carry the snapshot's position in the stream. */
export const SNAPSHOT_SEQ_HEADER = 'x-livebus-seq';
export const SNAPSHOT_EPOCH_HEADER = 'x-livebus-epoch';

/** Express's response and Fastify's reply both have `header(name, value)`. */
interface HeaderWritable {
  header(name: string, value: string): unknown;
}

/**
 * `GET <snapshotPath>`: the latest event of each type, as published, so a
 * (re)connecting client hydrates at once. The `seq` and `epoch` it reflects
 * travel in the `X-Livebus-Seq` / `X-Livebus-Epoch` headers, not in the body.
 * With the `auth` option, only the types the principal may read.
 */
@UseFilters(BusExceptionFilter)
export class SnapshotController {
  constructor(
    private readonly bus: EventBusService,
    private readonly auth: LivebusAuth,
  ) {}

  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  getSnapshot(
    @Req() req: object,
    @Res({ passthrough: true }) res: HeaderWritable,
  ): string {
    const allowed = this.auth.allowedFor(req);
    // Read seq and the JSON in one synchronous step so they agree.
    const seq = this.bus.lastSeq;
    const json = this.bus.snapshotJson(allowed);
    res.header(SNAPSHOT_SEQ_HEADER, String(seq));
    res.header(SNAPSHOT_EPOCH_HEADER, this.bus.epoch);
    return json;
  }
}

/** @internal A snapshot controller bound to `path` (routes are class metadata). */
export function createSnapshotController(
  path: string,
): Type<SnapshotController> {
  @Controller(path)
  @LivebusEntry('snapshot')
  class BoundSnapshotController extends SnapshotController {
    constructor(bus: EventBusService, auth: LivebusAuth) {
      super(bus, auth);
    }
  }
  return BoundSnapshotController;
}
