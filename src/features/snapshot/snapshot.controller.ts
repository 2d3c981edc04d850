import {
  Controller,
  Get,
  Header,
  Req,
  Res,
  StreamableFile,
  UseFilters,
  type Type,
} from '@nestjs/common';
import { EventBusService } from '../../bus/event-bus.service.js';
import { SnapshotFrameCache } from '../../delivery/snapshot-frames.js';
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

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * `GET <snapshotPath>`: the latest event of each type, as published, so a
 * (re)connecting client hydrates at once. The `seq` and `epoch` it reflects
 * travel in the `X-Livebus-Seq` / `X-Livebus-Epoch` headers, not in the body.
 *
 * The body is encoded once per point of the stream and shared by every
 * request at that point: a client that does not read its answer holds that
 * shared body, not a copy of its own. With the `auth` option, a principal
 * that may read only some types gets those (encoded for it).
 */
@UseFilters(BusExceptionFilter)
export class SnapshotController {
  private readonly bodies = new SnapshotFrameCache((eventsJson) =>
    Buffer.from(eventsJson),
  );

  constructor(
    private readonly bus: EventBusService,
    private readonly auth: LivebusAuth,
  ) {}

  @Get()
  @Header('Content-Type', JSON_TYPE)
  @Header('Cache-Control', 'no-store')
  getSnapshot(
    @Req() req: object,
    @Res({ passthrough: true }) res: HeaderWritable,
  ): StreamableFile {
    const allowed = this.auth.allowedFor(req);
    // Read seq, epoch and the body in one synchronous step so they agree.
    const seq = this.bus.lastSeq;
    const body =
      allowed === null
        ? this.bodies.frame(this.bus, null, false)
        : Buffer.from(this.bus.snapshotJson(allowed));
    res.header(SNAPSHOT_SEQ_HEADER, String(seq));
    res.header(SNAPSHOT_EPOCH_HEADER, this.bus.epoch);
    // A stream over the shared bytes (no copy), on Express and Fastify alike.
    return new StreamableFile(body, { type: JSON_TYPE, length: body.length });
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
