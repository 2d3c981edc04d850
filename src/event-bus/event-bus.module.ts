import { Module } from '@nestjs/common';
import { PredictionsGateway } from '../gateway/predictions.gateway.js';
import { MonitorService } from '../monitor/monitor.service.js';
import { ConfigurableEventBusModule } from './event-bus.module-definition.js';
import { EventBusService } from './event-bus.service.js';

/**
 * Streams live events from background work to Socket.IO clients.
 *
 * ```ts
 * @Module({ imports: [EventBusModule.forRoot({ queueCapacity: 256 })] })
 * export class AppModule {}
 * ```
 *
 * Provides {@link EventBusService} (global by default), the
 * {@link PredictionsGateway}, the snapshot and ingest controllers, and the
 * {@link MonitorService} that runs the publishing worker thread.
 */
@Module({
  providers: [EventBusService, PredictionsGateway, MonitorService],
  exports: [EventBusService, MonitorService],
})
export class EventBusModule extends ConfigurableEventBusModule {}
