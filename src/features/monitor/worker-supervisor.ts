import type { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import type { ResolvedWorkerOptions } from '../../bus/event-bus-options.js';
import type { LivebusWorkerData } from '../../worker/worker-publisher.js';
import type {
  ParentToWorkerMessage,
  WorkerStopReason,
} from '../../protocol/worker-messages.js';
import type { MonitorState, MonitorStateEvent } from './monitor.types.js';
import type { WorkerInbox } from './worker-inbox.js';
import { WorkerWatchdog } from './worker-watchdog.js';

/** Start-up failures (exits before `ready`) in a row after which the supervisor gives up. */
const MAX_STARTUP_FAILURES = 5;
/** A worker that ran this long counts as healthy again: its next crash restarts fast. */
const HEALTHY_AFTER_MS = 30_000;

/** What the supervisor tells its owner, and asks of it. */
export interface SupervisorEvents {
  /** The worker's state changed (not `stopped`: the owner decides that). */
  state(
    state: MonitorState,
    detail?: Pick<MonitorStateEvent, 'reason' | 'restartInMs'>,
  ): void;
  /** The door every message of a new worker run goes through. */
  open(reply: (message: ParentToWorkerMessage) => void): WorkerInbox;
}

/** One worker thread's life, from its start to its exit. */
interface Run {
  readonly worker: Worker;
  readonly watchdog: WorkerWatchdog;
  readonly startedAt: number;
  becameReady: boolean;
  /** Why the supervisor stopped it, when it did. */
  condemned: WorkerStopReason | null;
  lastError: Error | null;
}

/**
 * Runs one worker thread and keeps it running: a worker that had become
 * ready (posted anything) and then exits, or that the supervisor stopped
 * (hung, flooding), is restarted with capped exponential backoff; one that
 * keeps failing before it became ready (crash, start timeout) is given up
 * after a few tries, not restarted in a tight loop. The thread runs under
 * `resourceLimits`. `stop` terminates it with a deadline and awaits its exit.
 * Clients see a reason code; the log keeps the details.
 */
export class WorkerSupervisor {
  private run: Run | null = null;
  private workerExited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private crashesInARow = 0;
  private startupFailuresInARow = 0;
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
    return this.run?.worker.threadId ?? null;
  }

  /** Restarts since the supervisor started. */
  get restarts(): number {
    return this._restarts;
  }

  /** Posts to the running worker, if any. */
  post(message: ParentToWorkerMessage): void {
    this.run?.worker.postMessage(message);
  }

  start(): void {
    if (this.stopping) return;
    this.events.state('starting');
    const worker = new Worker(this.script(), {
      workerData: this.workerData,
      resourceLimits: { ...this.options.resourceLimits },
    });
    const run: Run = {
      worker,
      watchdog: new WorkerWatchdog(this.options, (reason, detail) =>
        this.condemn(run, reason, detail),
      ),
      startedAt: Date.now(),
      becameReady: false,
      condemned: null,
      lastError: null,
    };
    this.run = run;
    const inbox = this.events.open((message) => worker.postMessage(message));
    const received = (receipt: ReturnType<WorkerInbox['receive']>): void => {
      if (receipt === 'beat') run.watchdog.beat();
      else if (receipt === 'message') this.started(run);
      else if (receipt === 'flooding') {
        this.condemn(
          run,
          'flooding',
          `it posted more than ${this.options.maxRawMessagesPerSecond} messages a second outside the helper's flow control (maxRawMessagesPerSecond); what it had queued is dropped unread`,
        );
      }
    };
    worker.on('message', (message: unknown) =>
      received(inbox.receive(message)),
    );
    worker.on('messageerror', (error: Error) =>
      received(inbox.messageError(error)),
    );
    worker.on('error', (error: Error) => {
      run.lastError = error;
      this.logger.error(`worker crashed: ${error.message}`, error.stack);
    });
    run.watchdog.spawned();
    this.workerExited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        run.watchdog.stop();
        if (this.run === run) this.run = null;
        resolve();
        if (this.stopping) return;
        this.onUnexpectedExit(run, code);
      });
    });
  }

  /** Terminates the worker and cancels any pending restart. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const run = this.run;
    if (!run) return;
    run.watchdog.stop();
    const timeoutMs = this.options.stopTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(`worker did not exit within ${timeoutMs} ms`);
        resolve();
      }, timeoutMs);
    });
    await run.worker.terminate();
    await Promise.race([this.workerExited, deadline]);
    clearTimeout(timer);
  }

  private started(run: Run): void {
    if (run.becameReady) return;
    run.becameReady = true;
    run.watchdog.message();
    this.startupFailuresInARow = 0;
    this.events.state('running');
  }

  /** Stops a run that misbehaves; its exit restarts it as usual. */
  private condemn(run: Run, reason: WorkerStopReason, detail: string): void {
    if (run.condemned || this.stopping) return;
    run.condemned = reason;
    this.logger.warn(`worker stopped (${reason}): ${detail}`);
    void run.worker.terminate();
  }

  private onUnexpectedExit(run: Run, code: number): void {
    const reason = stopReason(run);
    if (reason === 'exited')
      this.logger.warn(`worker exited with code ${code}`);
    if (Date.now() - run.startedAt >= HEALTHY_AFTER_MS) this.crashesInARow = 0;
    if (
      !run.becameReady &&
      ++this.startupFailuresInARow >= MAX_STARTUP_FAILURES
    ) {
      this.logger.error(
        `worker failed ${this.startupFailuresInARow} times before becoming ready; giving up (${reason}). Check the worker option's script.`,
      );
      this.events.state('failed', { reason });
      return;
    }
    const delay = Math.min(
      this.options.restartDelayMs * 2 ** this.crashesInARow,
      this.options.maxRestartDelayMs,
    );
    this.crashesInARow++;
    this._restarts++;
    this.logger.warn(`worker stopped (${reason}); restarting in ${delay} ms`);
    this.events.state('restarting', { reason, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }
}

/** Why a run ended that the supervisor did not stop on purpose. */
function stopReason(run: Run): WorkerStopReason {
  if (run.condemned) return run.condemned;
  if (!run.lastError) return 'exited';
  const code = (run.lastError as { code?: unknown }).code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out_of_memory' : 'crashed';
}
