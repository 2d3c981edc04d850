import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  RESOLVED_OPTIONS,
  type MetricsRegistry,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import {
  LivebusStatsService,
  type LivebusSample,
} from '../stats/livebus-stats.service.js';
import { defineMetrics } from './metric-definitions.js';
import { METRICS_REGISTRY } from './metrics-registry.provider.js';
import type { PulledMetric } from './pulled-metric.js';

/**
 * Registers the bus's Prometheus metrics (`livebus_*`) in the registry when
 * the module starts and removes them when the app has shut down. Each scrape
 * reads the bus's counters once, whatever the number of metrics.
 */
@Injectable()
export class LivebusMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly metrics: PulledMetric[];
  private pending: Promise<LivebusSample> | null = null;

  constructor(
    @Inject(METRICS_REGISTRY) readonly registry: MetricsRegistry,
    private readonly stats: LivebusStatsService,
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
  ) {
    this.metrics = defineMetrics(
      () => this.sample(),
      options.metrics?.eventTypes != null,
    );
  }

  /** The names of the metrics registered. */
  get names(): string[] {
    return this.metrics.map((metric) => metric.name);
  }

  onModuleInit(): void {
    for (const metric of this.metrics) {
      if (this.registry.getSingleMetric(metric.name)) {
        throw new Error(
          `A metric named ${metric.name} is already registered: each EventBusModule in one process needs its own registry (metrics.registry)`,
        );
      }
    }
    for (const metric of this.metrics) {
      this.registry.registerMetric(metric as never);
    }
  }

  onApplicationShutdown(): void {
    for (const metric of this.metrics) {
      if (this.registry.getSingleMetric(metric.name) === metric) {
        this.registry.removeSingleMetric(metric.name);
      }
    }
  }

  // One sample for all the metrics of one scrape (the registry reads them
  // all in the same turn).
  private sample(): Promise<LivebusSample> {
    if (!this.pending) {
      this.pending = this.stats.sample();
      setImmediate(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }
}
