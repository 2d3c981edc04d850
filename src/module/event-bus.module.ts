import { Module, type DynamicModule } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../bus/event-bus-options.js';
import { EventBusService } from '../bus/event-bus.service.js';
import { PredictionsGateway } from '../features/gateway/predictions.gateway.js';
import { MonitorService } from '../features/monitor/monitor.service.js';
import { EVENT_BUS_OPTIONS } from './event-bus.constants.js';
import {
  ConfigurableEventBusModule,
  type EVENT_BUS_OPTIONS_TYPE,
} from './event-bus.module-definition.js';
import { LivebusPreflight } from './preflight.js';
import { resolveEventBusOptions } from './resolve-options.js';

/**
 * Streams live events from background work to Socket.IO and SSE clients.
 *
 * ```ts
 * @Module({ imports: [EventBusModule.forRoot({ queueCapacity: 256 })] })
 * export class AppModule {}
 * ```
 *
 * Provides {@link EventBusService} (global by default), the
 * {@link PredictionsGateway}, the snapshot, SSE and ingest controllers, and
 * the {@link MonitorService} that runs the publishing worker thread.
 */
@Module({
  providers: [
    {
      provide: RESOLVED_OPTIONS,
      useFactory: resolveEventBusOptions,
      inject: [EVENT_BUS_OPTIONS],
    },
    EventBusService,
    PredictionsGateway,
    MonitorService,
    LivebusPreflight,
  ],
  exports: [EventBusService, MonitorService],
})
export class EventBusModule extends ConfigurableEventBusModule {
  /** The module with `options` (every one optional). */
  static override forRoot(
    options: typeof EVENT_BUS_OPTIONS_TYPE = {},
  ): DynamicModule {
    return super.forRoot(options);
  }
}
