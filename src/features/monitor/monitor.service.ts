import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { activityWorkerPath } from '../../activity/activity-worker-path.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
  type ResolvedWorkerOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import type { LivebusWorkerData } from '../../worker/worker-publisher.js';
import {
  isWorkerProtocolMessage,
  type MonitorCommand,
  type ParentToWorkerMessage,
} from '../../protocol/worker-messages.js';

/** Where the supervised worker is in its life. */
export type MonitorState =
  'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** The `monitor` event the bus publishes whenever the worker's state changes. */
export type MonitorStateEvent = {
  type: 'monitor';
  state: MonitorState;
  /** Restarts since the application started. */
  restarts: number;
  /** Why the worker stopped, when it crashed. */
  error?: string;
  /** When `restarting`: how long until the next start, in ms. */
  restartInMs?: number;
  at: string;
};

/** Counters of what the monitor relayed. */
export interface MonitorStats {
  /** Events relayed from the worker into the bus. */
  relayed: number;
  /** Worker messages the bus refused as invalid (logged). */
  invalid: number;
  /** Worker messages that arrived after the bus closed (shutdown). */
  afterClose: number;
  /** Worker events the shared transport (Redis) could not take. */
  unavailable: number;
  /**
   * Events the worker helper dropped, oldest first, because the worker
   * published faster than the main thread relayed (logged).
   */
  droppedInWorker: number;
  restarts: number;
}

/** Start-up failures (exits before `ready`) in a row after which the monitor gives up. */
const MAX_STARTUP_FAILURES = 5;
/** A worker that ran this long counts as healthy again: its next crash restarts fast. */
const HEALTHY_AFTER_MS = 30_000;
/** Drops in the worker are logged at most this often, with the count since. */
const DROP_WARNING_INTERVAL_MS = 10_000;

/**
 * Runs the worker thread that publishes (by default the activity worker),
 * relays what it posts into the bus, and supervises it: a crash restarts it
 * with capped exponential backoff and publishes a `monitor` event; shutdown
 * (`onModuleDestroy`, before Nest closes Socket.IO) terminates it and awaits
 * its exit.
 */
@Injectable()
export class MonitorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MonitorService');
  private readonly workerOptions: ResolvedWorkerOptions | null;
  private worker: Worker | null = null;
  private workerExited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private _state: MonitorState = 'idle';
  private stopping = false;
  private crashesInARow = 0;
  private startupFailuresInARow = 0;
  private startedAt = 0;
  private readonly counters: MonitorStats = {
    relayed: 0,
    invalid: 0,
    afterClose: 0,
    unavailable: 0,
    droppedInWorker: 0,
    restarts: 0,
  };
  private dropsNotLogged = 0;
  private lastDropWarningAt = -Infinity;

  constructor(
    private readonly bus: EventBusService,
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
  ) {
    this.workerOptions = options.worker;
  }

  get state(): MonitorState {
    return this._state;
  }

  /** The running worker's thread id, or `null`. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  stats(): MonitorStats {
    return { ...this.counters };
  }

  onApplicationBootstrap(): void {
    if (this.workerOptions) this.spawn();
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
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (worker) {
      const timeoutMs = this.workerOptions!.stopTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.logger.warn(`worker did not exit within ${timeoutMs} ms`);
          resolve();
        }, timeoutMs);
      });
      await worker.terminate();
      await Promise.race([this.workerExited, deadline]);
      clearTimeout(timer);
    }
    if (this._state !== 'stopped' && this._state !== 'idle') {
      this.setState('stopped');
    }
  }

  private send(command: MonitorCommand): void {
    const message: ParentToWorkerMessage = { kind: 'livebus:control', command };
    this.worker?.postMessage(message);
  }

  private spawn(): void {
    const options = this.workerOptions;
    if (!options || this.stopping) return;
    this.setState('starting');
    const workerData: LivebusWorkerData = {
      maxEventBytes: this.bus.options.maxEventBytes,
      maxBatch: Math.max(1, Math.floor(this.bus.options.queueCapacity / 2)),
      maxPending: options.maxPendingEvents,
      data: options.workerData,
    };
    const worker = new Worker(options.script ?? activityWorkerPath(), {
      workerData,
    });
    this.worker = worker;
    this.startedAt = Date.now();
    let becameReady = false;
    let lastError: Error | undefined;
    const markReady = (): void => {
      if (becameReady) return;
      becameReady = true;
      this.startupFailuresInARow = 0;
      this.setState('running');
    };
    worker.on('message', (message: unknown) => {
      markReady();
      this.relay(message, worker);
    });
    worker.on('error', (error) => {
      lastError = error;
      this.logger.error(`worker crashed: ${error.message}`, error.stack);
    });
    this.workerExited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.worker = null;
        resolve();
        if (this.stopping) return;
        this.onUnexpectedExit(
          becameReady,
          lastError?.message ?? `worker exited with code ${code}`,
        );
      });
    });
  }

  private onUnexpectedExit(becameReady: boolean, reason: string): void {
    if (Date.now() - this.startedAt >= HEALTHY_AFTER_MS) this.crashesInARow = 0;
    if (!becameReady && ++this.startupFailuresInARow >= MAX_STARTUP_FAILURES) {
      this.logger.error(
        `worker failed ${this.startupFailuresInARow} times before becoming ready; giving up (${reason}). Check the worker option's script.`,
      );
      this.setState('failed', { error: reason });
      return;
    }
    const options = this.workerOptions!;
    const delay = Math.min(
      options.restartDelayMs * 2 ** this.crashesInARow,
      options.maxRestartDelayMs,
    );
    this.crashesInARow++;
    this.counters.restarts++;
    this.logger.warn(`worker stopped (${reason}); restarting in ${delay} ms`);
    this.setState('restarting', { error: reason, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn();
    }, delay);
  }

  private relay(message: unknown, worker: Worker): void {
    if (!isWorkerProtocolMessage(message)) {
      // A plain event posted with parentPort.postMessage(event).
      void this.publishBatch([message], false).catch(this.relayFailed);
      return;
    }
    switch (message.kind) {
      case 'livebus:batch':
        this.noteDroppedInWorker(message.dropped);
        // The worker sends its next batch once this one is in the bus (and,
        // with Redis, stored): the port never holds more than one. Always
        // answered, or the worker would wait for good.
        void this.publishBatch(message.events, true, message.ids)
          .catch(this.relayFailed)
          .finally(() => {
            const ack: ParentToWorkerMessage = { kind: 'livebus:ack' };
            worker.postMessage(ack);
          });
        return;
      case 'livebus:log':
        if (message.level === 'warn') this.logger.warn(message.message);
        else this.logger.log(message.message);
        return;
      case 'livebus:ready':
        return;
    }
  }

  // A subscriber's callback that threw while an event was delivered: said,
  // and the relay goes on.
  private readonly relayFailed = (error: Error): void => {
    this.logger.error(
      `relaying worker events failed: ${error.message}`,
      error.stack,
    );
  };

  /** Resolves once the events are in the bus, or refused by it. */
  private async publishBatch(
    events: readonly unknown[],
    preEncoded: boolean,
    ids?: readonly unknown[],
  ): Promise<void> {
    if (this.bus.isClosed) {
      this.counters.afterClose += events.length;
      return;
    }
    const { accepted, refused, appended } = this.bus.publishFromWorker(
      events,
      preEncoded,
      Array.isArray(ids) ? ids : undefined,
    );
    this.counters.relayed += accepted;
    this.counters.invalid += refused.length;
    for (const error of refused) {
      this.logger.warn(
        `worker sent an event the bus refused: ${error.message}`,
      );
    }
    try {
      await appended;
    } catch (error) {
      // The shared transport is down: counted and said, never thrown.
      this.counters.relayed -= accepted;
      this.counters.unavailable += accepted;
      this.logger.warn(
        `worker events not published: ${(error as Error).message}`,
      );
    }
  }

  private noteDroppedInWorker(dropped: number): void {
    if (dropped === 0) return;
    this.counters.droppedInWorker += dropped;
    this.dropsNotLogged += dropped;
    const now = Date.now();
    if (now - this.lastDropWarningAt < DROP_WARNING_INTERVAL_MS) return;
    this.logger.warn(
      `the worker published faster than the bus could take: it dropped its ${this.dropsNotLogged} oldest events (publish() returns false when it is ahead; await drained() then)`,
    );
    this.dropsNotLogged = 0;
    this.lastDropWarningAt = now;
  }

  private setState(
    state: MonitorState,
    detail: Pick<MonitorStateEvent, 'error' | 'restartInMs'> = {},
  ): void {
    this._state = state;
    if (this.bus.isClosed) return;
    const event: MonitorStateEvent = {
      type: 'monitor',
      state,
      restarts: this.counters.restarts,
      ...detail,
      at: new Date().toISOString(),
    };
    // Fire and forget: a state change must not wait for (or fail on) Redis.
    this.bus.publish(event).catch((error: Error) => {
      this.logger.warn(`monitor event not published: ${error.message}`);
    });
  }
}
