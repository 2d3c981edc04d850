import { Injectable } from '@nestjs/common';
import type { StorageSizes } from '../../core/livebus-core.js';
import {
  EventBusService,
  type EventBusServiceStats,
} from '../../bus/event-bus.service.js';
import { LivebusDrain } from '../../bus/livebus-drain.js';
import {
  DeliveryStats,
  type DeliverySnapshot,
} from '../../delivery/delivery-stats.js';
import type {
  TransportState,
  TransportStats,
} from '../../transports/event-transport.js';
import {
  LivebusLimits,
  type LimitsStats,
} from '../limits/livebus-limits.service.js';
import {
  LivebusOrigins,
  type OriginsStats,
} from '../origins/livebus-origins.service.js';
import {
  MonitorService,
  type MonitorState,
  type MonitorStats,
} from '../monitor/monitor.service.js';

/** Everything the bus, its clients, its worker and its transport report, at one point. */
export interface LivebusSample {
  /** When it was taken, ms since the epoch. */
  readonly at: number;
  readonly epoch: string;
  readonly lastSeq: number;
  /** Whether this node is draining (shutting down, or told to). */
  readonly draining: boolean;
  readonly bus: EventBusServiceStats;
  readonly sizes: StorageSizes;
  readonly clients: DeliverySnapshot;
  readonly worker: MonitorStats & {
    readonly state: MonitorState;
    /** Whether the module runs a worker at all. */
    readonly configured: boolean;
  };
  /** What the limits refused or hold (connections, subscribe, ingest, worker). */
  readonly limits: LimitsStats;
  /** Requests refused for their origin. */
  readonly origins: OriginsStats;
  readonly transport: {
    readonly kind: string;
    readonly state: TransportState;
    /** Events of the shared stream this node has not read yet, or `null` (memory, or unknown). */
    readonly readerLag: number | null;
    readonly stats: TransportStats | null;
  };
}

/**
 * Reads the counters every part keeps (pull, at scrape time: nothing on the
 * delivery path), for the metrics, the health indicator and the inspector.
 */
@Injectable()
export class LivebusStatsService {
  constructor(
    private readonly bus: EventBusService,
    private readonly monitor: MonitorService,
    private readonly delivery: DeliveryStats,
    private readonly drain: LivebusDrain,
    private readonly limits: LivebusLimits,
    private readonly origins: LivebusOrigins,
  ) {}

  async sample(): Promise<LivebusSample> {
    const transportStats = await this.bus.transportStats();
    const { name: kind, state } = this.bus.transportState;
    const lastSeq = this.bus.lastSeq;
    const headSeq = transportStats?.headSeq ?? null;
    return {
      at: Date.now(),
      epoch: this.bus.epoch,
      lastSeq,
      draining: this.drain.draining || this.bus.isClosed,
      bus: this.bus.stats(),
      sizes: this.bus.sizes(),
      clients: this.delivery.snapshot(),
      worker: {
        ...this.monitor.stats(),
        state: this.monitor.state,
        configured: this.monitor.configured,
      },
      limits: this.limits.stats(),
      origins: this.origins.stats(),
      transport: {
        kind,
        state,
        readerLag: headSeq === null ? null : Math.max(0, headSeq - lastSeq),
        stats: transportStats,
      },
    };
  }
}
