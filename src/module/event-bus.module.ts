import {
  Inject,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import {
  RESOLVED_FEATURES,
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../bus/event-bus-options.js';
import { EventBusService } from '../bus/event-bus.service.js';
import { EVENT_TRANSPORT } from '../bus/event-transport.token.js';
import { LivebusDrain } from '../bus/livebus-drain.js';
import { DELIVERY_OBSERVER } from '../delivery/delivery-observer.js';
import { DeliveryStats } from '../delivery/delivery-stats.js';
import { LivebusStatsService } from '../features/stats/livebus-stats.service.js';
import { LivebusAuth } from '../features/auth/livebus-auth.service.js';
import { LivebusLimits } from '../features/limits/livebus-limits.service.js';
import { LivebusOrigins } from '../features/origins/livebus-origins.service.js';
import { OriginsMiddleware } from '../features/origins/origins.middleware.js';
import { FEATURE_DEFAULTS } from './resolve-feature-options.js';
import { activityWorkerPathProvider } from '../features/monitor/activity-worker-path.provider.js';
import { MonitorService } from '../features/monitor/monitor.service.js';
import { EVENT_BUS_OPTIONS, LIVEBUS_ROUTES } from './event-bus.constants.js';
import {
  ConfigurableEventBusModule,
  type EVENT_BUS_OPTIONS_TYPE,
} from './event-bus.module-definition.js';
import { eventTransportProvider } from './event-transport.provider.js';
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
 * `PredictionsGateway` (on the configured namespace), the snapshot, SSE and
 * ingest controllers, and the {@link MonitorService} that runs the
 * publishing worker thread.
 */
@Module({
  providers: [
    // First: its onModuleInit says what to do when Nest is installed twice.
    LivebusPreflight,
    {
      provide: RESOLVED_OPTIONS,
      useFactory: resolveEventBusOptions,
      inject: [EVENT_BUS_OPTIONS, RESOLVED_FEATURES],
    },
    eventTransportProvider,
    {
      provide: DeliveryStats,
      useFactory: deliveryStats,
      inject: [RESOLVED_OPTIONS],
    },
    { provide: DELIVERY_OBSERVER, useExisting: DeliveryStats },
    LivebusDrain,
    LivebusStatsService,
    LivebusLimits,
    LivebusOrigins,
    EventBusService,
    MonitorService,
    activityWorkerPathProvider,
    LivebusAuth,
  ],
  exports: [
    EventBusService,
    MonitorService,
    LivebusAuth,
    EVENT_TRANSPORT,
    LivebusDrain,
    LivebusStatsService,
    LivebusLimits,
    LivebusOrigins,
  ],
})
export class EventBusModule
  extends ConfigurableEventBusModule
  implements NestModule
{
  constructor(
    @Inject(LIVEBUS_ROUTES) private readonly routes: readonly string[],
  ) {
    super();
  }

  /** The origins policy (CORS, preflight) on the module's HTTP routes, every method. */
  configure(consumer: MiddlewareConsumer): void {
    if (this.routes.length === 0) return;
    consumer
      .apply(OriginsMiddleware)
      .forRoutes(
        ...this.routes.map((path) => ({ path, method: RequestMethod.ALL })),
      );
  }

  /** The module with `options` (every one optional). */
  static override forRoot(
    options: typeof EVENT_BUS_OPTIONS_TYPE = {},
  ): DynamicModule {
    return super.forRoot(options);
  }
}

/** The delivery counters; latency is measured when the metrics or the inspector show it. */
function deliveryStats(options: ResolvedEventBusOptions): DeliveryStats {
  const measured = options.metrics ?? options.inspector;
  return new DeliveryStats({
    latencyBoundsMs: measured
      ? (options.metrics?.latencyBoundsMs ??
        FEATURE_DEFAULTS.latencyBuckets.map((seconds) => seconds * 1000))
      : null,
    eventTypes: options.metrics?.eventTypes ?? null,
  });
}
