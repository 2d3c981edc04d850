import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { LivebusHealthIndicator } from '../src/features/health/index.js';

/**
 * `GET /health` (liveness: the process answers) and `GET /ready`
 * (readiness: the bus accepts, the transport is up, the worker runs, and
 * the node is not draining), with `@nestjs/terminus`: 200 or 503.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly livebus: LivebusHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  live() {
    return this.health.check([() => this.livebus.isAlive()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.livebus.isReady()]);
  }
}
