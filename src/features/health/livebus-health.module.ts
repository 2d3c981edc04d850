import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LivebusHealthIndicator } from './livebus-health.indicator.js';

/**
 * `TerminusModule` and the {@link LivebusHealthIndicator}, for an app's own
 * health controller. Import it beside `EventBusModule` (global by default).
 */
@Module({
  imports: [TerminusModule],
  providers: [LivebusHealthIndicator],
  exports: [LivebusHealthIndicator, TerminusModule],
})
export class LivebusHealthModule {}
