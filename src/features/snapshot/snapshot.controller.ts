import { Controller, Get, Res, UseFilters, type Type } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { EventBusService } from '../../bus/event-bus.service.js';
import { SnapshotFrameCache } from '../../delivery/snapshot-frames.js';
import { BusExceptionFilter } from '../http/bus-exception.filter.js';

/** The response headers that carry the snapshot's position in the stream. */
export const SNAPSHOT_SEQ_HEADER = 'x-livebus-seq';
export const SNAPSHOT_EPOCH_HEADER = 'x-livebus-epoch';

/**
 * `GET <snapshotPath>`: the latest event of each type, as published, so a
 * (re)connecting client hydrates at once. The `seq` and `epoch` it reflects
 * travel in the `X-Livebus-Seq` / `X-Livebus-Epoch` headers, not in the body.
 *
 * The body is encoded once per point of the stream and shared by every
 * request at that point, written as it is: a client that does not read its
 * answer holds that shared body, not a copy of its own.
 */
@UseFilters(BusExceptionFilter)
export class SnapshotController {
  private readonly bodies = new SnapshotFrameCache((eventsJson) =>
    Buffer.from(eventsJson),
  );

  constructor(private readonly bus: EventBusService) {}

  @Get()
  getSnapshot(@Res() res: ServerResponse): void {
    // Read seq, epoch and the body in one synchronous step so they agree.
    const seq = this.bus.lastSeq;
    const epoch = this.bus.epoch;
    const body = this.bodies.frame(this.bus, null, false);
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      [SNAPSHOT_SEQ_HEADER]: String(seq),
      [SNAPSHOT_EPOCH_HEADER]: epoch,
    });
    res.end(body);
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
