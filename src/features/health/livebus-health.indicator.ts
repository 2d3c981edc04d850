import {
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  HealthIndicatorService,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import {
  LivebusStatsService,
  type LivebusSample,
} from '../stats/livebus-stats.service.js';

/** Thresholds of the {@link LivebusHealthIndicator} checks. */
export interface LivebusHealthOptions {
  /**
   * Longest event-loop delay (the worst over the last 5 s) before the check
   * is down, in ms. @default 1000
   */
  maxEventLoopDelayMs?: number;
  /**
   * Readiness only, Redis only: most events of the shared stream this node
   * may not have read yet. @default 1000
   */
  maxReaderLag?: number;
}

const DEFAULTS = { maxEventLoopDelayMs: 1000, maxReaderLag: 1000 } as const;
/** The event-loop delay is the worst of this window and the one before it. */
const LOOP_WINDOW_MS = 5000;

/**
 * Health of the bus for `@nestjs/terminus` (an optional peer), on its
 * `HealthIndicatorService`:
 *
 * - {@link isAlive} (liveness): the event loop answers in time. Nothing a
 *   restart cannot fix fails it: not Redis, not a draining node.
 * - {@link isReady} (readiness): the bus accepts events and this node is not
 *   draining (shutting down, or `LivebusDrain.start()`), the transport is
 *   `ready` (not `degraded`), the worker runs (or none is configured, or it
 *   is restarting; `failed` is down), and with Redis the reader trails the
 *   shared stream by at most `maxReaderLag` events.
 *
 * ```ts
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.livebus.isReady()]); }
 * ```
 */
@Injectable()
export class LivebusHealthIndicator implements OnModuleInit, OnModuleDestroy {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({
    resolution: 10,
  });
  private previousWindowMaxMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly stats: LivebusStatsService,
  ) {}

  onModuleInit(): void {
    this.loop.enable();
    this.timer = setInterval(() => {
      this.previousWindowMaxMs = this.loop.max / 1e6;
      this.loop.reset();
    }, LOOP_WINDOW_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.loop.disable();
  }

  /** The worst event-loop delay over the last 5 to 10 s, in ms. */
  get eventLoopDelayMs(): number {
    return round(Math.max(this.previousWindowMaxMs, this.loop.max / 1e6));
  }

  /** Liveness: the event loop is responsive. */
  async isAlive<const Key extends string = 'livebus'>(
    key: Key = 'livebus' as Key,
    options: LivebusHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const max = options.maxEventLoopDelayMs ?? DEFAULTS.maxEventLoopDelayMs;
    const eventLoopDelayMs = this.eventLoopDelayMs;
    const check = this.health.check(key);
    return eventLoopDelayMs > max
      ? check.down({
          eventLoopDelayMs,
          reasons: [`event loop delayed ${eventLoopDelayMs} ms (over ${max})`],
        })
      : check.up({ eventLoopDelayMs });
  }

  /** Readiness: this node should receive clients and publishes. */
  async isReady<const Key extends string = 'livebus'>(
    key: Key = 'livebus' as Key,
    options: LivebusHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const sample = await this.stats.sample();
    const reasons = this.problems(sample, options);
    const data = {
      bus: sample.draining ? 'draining' : 'accepting',
      transport: `${sample.transport.kind}:${sample.transport.state}`,
      worker: sample.worker.configured ? sample.worker.state : 'none',
      eventLoopDelayMs: this.eventLoopDelayMs,
      clients: sample.clients.socketio.connected + sample.clients.sse.connected,
      ...(sample.transport.readerLag === null
        ? {}
        : { readerLag: sample.transport.readerLag }),
    };
    const check = this.health.check(key);
    return reasons.length > 0
      ? check.down({ ...data, reasons })
      : check.up(data);
  }

  private problems(
    sample: LivebusSample,
    options: LivebusHealthOptions,
  ): string[] {
    const reasons: string[] = [];
    if (sample.draining) reasons.push('draining: the node is shutting down');
    if (sample.transport.state !== 'ready') {
      reasons.push(`transport ${sample.transport.state}`);
    }
    if (sample.worker.configured && sample.worker.state === 'failed') {
      reasons.push('worker failed: it could not start and was given up');
    }
    const maxLag = options.maxReaderLag ?? DEFAULTS.maxReaderLag;
    if (
      sample.transport.readerLag !== null &&
      sample.transport.readerLag > maxLag
    ) {
      reasons.push(
        `reader ${sample.transport.readerLag} events behind the shared stream (over ${maxLag})`,
      );
    }
    const maxDelay =
      options.maxEventLoopDelayMs ?? DEFAULTS.maxEventLoopDelayMs;
    if (this.eventLoopDelayMs > maxDelay) {
      reasons.push(
        `event loop delayed ${this.eventLoopDelayMs} ms (over ${maxDelay})`,
      );
    }
    return reasons;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
