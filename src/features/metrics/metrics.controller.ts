import { Controller, Get, Res, type Type } from '@nestjs/common';
import { LivebusEntry } from '../auth/livebus-auth.guard.js';
import { LivebusMetrics } from './livebus-metrics.js';

interface HeaderWritable {
  setHeader(name: string, value: string): unknown;
}

/**
 * `GET <metrics.path>`: the registry the bus's metrics are in (with whatever
 * else the app registered there), in the Prometheus text format. Behind the
 * app's guards like any controller, and the `auth` option's.
 */
export class MetricsController {
  constructor(private readonly metrics: LivebusMetrics) {}

  @Get()
  async scrape(
    @Res({ passthrough: true }) res: HeaderWritable,
  ): Promise<string> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return this.metrics.registry.metrics();
  }
}

/** @internal A metrics controller bound to `path` (routes are class metadata). */
export function createMetricsController(path: string): Type<MetricsController> {
  @Controller(path)
  @LivebusEntry('metrics')
  class BoundMetricsController extends MetricsController {
    constructor(metrics: LivebusMetrics) {
      super(metrics);
    }
  }
  return BoundMetricsController;
}
