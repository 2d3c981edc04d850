import type { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import type { ResolvedWorkerOptions } from '../../bus/event-bus-options.js';
import type { LivebusWorkerData } from '../../worker/worker-publisher.js';
import type { ParentToWorkerMessage } from '../../protocol/worker-messages.js';
import type { MonitorState, MonitorStateEvent } from './monitor.types.js';

/** Start-up failures (exits before `ready`) in a row after which the supervisor gives up. */
const MAX_STARTUP_FAILURES = 5;
/** A worker that ran this long counts as healthy again: its next crash restarts fast. */
const HEALTHY_AFTER_MS = 30_000;

/** What the supervisor tells its owner. */
export interface SupervisorEvents {
  /** The worker's state changed (not `stopped`: the owner decides that). */
  state(
    state: MonitorState,
    detail?: Pick<MonitorStateEvent, 'error' | 'restartInMs'>,
  ): void;
  /** A message the worker posted. */
  message(
    message: unknown,
    reply: (message: ParentToWorkerMessage) => void,
  ): void;
}

/**
 * Runs one worker thread and keeps it running: a worker that had become
 * ready (posted anything) and then exits is restarted with capped
 * exponential backoff; one that keeps failing before it became ready is
 * given up after a few tries, not restarted in a tight loop. `stop`
 * terminates it with a deadline and awaits its exit.
 */
export class WorkerSupervisor {
  private worker: Worker | null = null;
  private workerExited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private crashesInARow = 0;
  private startupFailuresInARow = 0;
  private startedAt = 0;
  private _restarts = 0;

  constructor(
    private readonly options: ResolvedWorkerOptions,
    /** The entry file, asked at each start. */
    private readonly script: () => string | URL,
    private readonly workerData: LivebusWorkerData,
    private readonly events: SupervisorEvents,
    private readonly logger: Logger,
  ) {}

  /** The running worker's thread id, or `null`. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Restarts since the supervisor started. */
  get restarts(): number {
    return this._restarts;
  }

  /** Posts to the running worker, if any. */
  post(message: ParentToWorkerMessage): void {
    this.worker?.postMessage(message);
  }

  start(): void {
    if (this.stopping) return;
    this.events.state('starting');
    const worker = new Worker(this.script(), { workerData: this.workerData });
    this.worker = worker;
    this.startedAt = Date.now();
    let becameReady = false;
    let lastError: Error | undefined;
    const reply = (message: ParentToWorkerMessage): void =>
      worker.postMessage(message);
    worker.on('message', (message: unknown) => {
      if (!becameReady) {
        becameReady = true;
        this.startupFailuresInARow = 0;
        this.events.state('running');
      }
      this.events.message(message, reply);
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

  /** Terminates the worker and cancels any pending restart. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (!worker) return;
    const timeoutMs = this.options.stopTimeoutMs;
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

  private onUnexpectedExit(becameReady: boolean, reason: string): void {
    if (Date.now() - this.startedAt >= HEALTHY_AFTER_MS) this.crashesInARow = 0;
    if (!becameReady && ++this.startupFailuresInARow >= MAX_STARTUP_FAILURES) {
      this.logger.error(
        `worker failed ${this.startupFailuresInARow} times before becoming ready; giving up (${reason}). Check the worker option's script.`,
      );
      this.events.state('failed', { error: reason });
      return;
    }
    const delay = Math.min(
      this.options.restartDelayMs * 2 ** this.crashesInARow,
      this.options.maxRestartDelayMs,
    );
    this.crashesInARow++;
    this._restarts++;
    this.logger.warn(`worker stopped (${reason}); restarting in ${delay} ms`);
    this.events.state('restarting', { error: reason, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }
}
