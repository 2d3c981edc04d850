import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import type { MonitorCommand } from '../../protocol/worker-messages.js';
import {
  ACTIVITY_WORKER_PATH,
  type WorkerPathResolver,
} from './activity-worker-path.provider.js';
import type {
  MonitorState,
  MonitorStateEvent,
  MonitorStats,
  WorkerStopReason,
} from './monitor.types.js';
import { WorkerRelay } from './worker-relay.js';
import { LivebusLimits } from '../limits/livebus-limits.service.js';
import { WorkerSupervisor } from './worker-supervisor.js';

export type { MonitorState, MonitorStateEvent, MonitorStats, WorkerStopReason };

/**
 * Runs the worker thread that publishes (by default the activity worker),
 * relays what it posts into the bus (checked, bounded and counted: the worker
 * boundary is a trust boundary), and supervises it: a crash, a hang (no
 * heartbeat), a start that never finishes or a flood restarts it with capped
 * exponential backoff and publishes a `monitor` event with a reason code; shutdown
 * (`onModuleDestroy`, before Nest closes Socket.IO) terminates it and awaits
 * its exit.
 */
@Injectable()
export class MonitorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MonitorService');
  private readonly relay: WorkerRelay;
  /** `null` when the module runs no worker (the default). */
  private readonly supervisor: WorkerSupervisor | null;
  private _state: MonitorState = 'idle';

  constructor(
    private readonly bus: EventBusService,
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    @Inject(ACTIVITY_WORKER_PATH) activityWorkerPath: WorkerPathResolver,
    limits: LivebusLimits,
  ) {
    const worker = options.worker;
    // Half a subscriber queue: one batch, delivered in one step, never
    // overflows the queue of a client that keeps up.
    const maxBatch = Math.max(1, Math.floor(bus.options.queueCapacity / 2));
    const maxEventBytes = bus.options.maxEventBytes;
    // Without a worker the relay is never opened: any bound does.
    this.relay = new WorkerRelay(
      bus,
      this.logger,
      {
        maxEventBytes,
        maxBatch,
        maxPending: worker?.maxPendingEvents ?? 1,
        maxRawMessagesPerSecond: worker?.maxRawMessagesPerSecond ?? 1,
      },
      limits.worker,
    );
    this.supervisor =
      worker &&
      new WorkerSupervisor(
        worker,
        () => worker.script ?? activityWorkerPath(),
        {
          maxEventBytes,
          maxBatch,
          maxPending: worker.maxPendingEvents,
          heartbeatIntervalMs: worker.heartbeatIntervalMs,
          data: worker.workerData,
        },
        {
          state: (state, detail) => this.setState(state, detail),
          open: (reply) => this.relay.open(reply),
        },
        this.logger,
      );
  }

  /** Whether the module runs a worker at all (the `worker` option is not `false`). */
  get configured(): boolean {
    return this.supervisor !== null;
  }

  get state(): MonitorState {
    return this._state;
  }

  /** The running worker's thread id, or `null`. */
  get threadId(): number | null {
    return this.supervisor?.threadId ?? null;
  }

  stats(): MonitorStats {
    return { ...this.relay.stats(), restarts: this.supervisor?.restarts ?? 0 };
  }

  onApplicationBootstrap(): void {
    this.supervisor?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Asks the worker to pause its work (the activity worker keeps polling but records nothing). */
  pause(): void {
    this.send('pause');
  }

  /** Asks a paused worker to resume. */
  resume(): void {
    this.send('resume');
  }

  /** Terminates the worker and cancels any pending restart. Idempotent. */
  async stop(): Promise<void> {
    await this.supervisor?.stop();
    if (this._state !== 'stopped' && this._state !== 'idle') {
      this.setState('stopped');
    }
  }

  private send(command: MonitorCommand): void {
    this.supervisor?.post({ kind: 'livebus:control', command });
  }

  private setState(
    state: MonitorState,
    detail: Pick<MonitorStateEvent, 'reason' | 'restartInMs'> = {},
  ): void {
    this._state = state;
    if (this.bus.isClosed) return;
    const event: MonitorStateEvent = {
      type: 'monitor',
      state,
      restarts: this.supervisor?.restarts ?? 0,
      ...detail,
      at: new Date().toISOString(),
    };
    // Fire and forget: a state change must not wait for (or fail on) Redis.
    this.bus.publish(event).catch((error: Error) => {
      this.logger.warn(`monitor event not published: ${error.message}`);
    });
  }
}
