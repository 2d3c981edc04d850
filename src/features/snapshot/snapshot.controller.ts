import {
  Controller,
  Get,
  Header,
  Res,
  UseFilters,
  type Type,
} from '@nestjs/common';
import { EventBusService } from '../../bus/event-bus.service.js';
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
 */
@UseFilters(BusExceptionFilter)
export class SnapshotController {
  constructor(private readonly bus: EventBusService) {}

  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  getSnapshot(@Res({ passthrough: true }) res: HeaderWritable): string {
    // Read seq and the JSON in one synchronous step so they agree.
    const seq = this.bus.lastSeq;
    const json = this.bus.snapshotJson();
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
  class BoundSnapshotController extends SnapshotController {
    constructor(bus: EventBusService) {
      super(bus);
    }
  }
  return BoundSnapshotController;
}
