import type { WorkerStopReason } from '../../protocol/worker-messages.js';

/** The watchdog's times, in ms. */
export interface WatchdogTimes {
  readonly heartbeatIntervalMs: number;
  readonly hangTimeoutMs: number;
  readonly startTimeoutMs: number;
}

/** What the watchdog reports: why, and the detail for the log. */
export type WatchdogTrip = (
  reason: Extract<WorkerStopReason, 'hung' | 'start_timeout'>,
  detail: string,
) => void;

/**
 * Watches one worker run: a start deadline (the worker must post something
 * within `startTimeoutMs`), then its heartbeat (sent by the worker helper
 * from a timer, so a worker whose event loop is blocked stops sending it).
 * A worker that never sent a heartbeat (it does not use the helper) is
 * held to the start deadline only.
 *
 * Every verdict is taken in a `setImmediate` after its timer: if the main
 * thread itself was blocked, the messages waiting in the port (a `ready`, a
 * heartbeat) are read first, so a busy parent does not condemn a healthy
 * worker.
 */
export class WorkerWatchdog {
  private startTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private lastBeatAt = 0;
  private started = false;
  private stopped = false;

  constructor(
    private readonly times: WatchdogTimes,
    private readonly trip: WatchdogTrip,
    private readonly now: () => number = Date.now,
  ) {}

  /** The worker thread was just created. */
  spawned(): void {
    const { startTimeoutMs } = this.times;
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      setImmediate(() => {
        if (this.stopped || this.started) return;
        this.stop();
        this.trip(
          'start_timeout',
          `it posted nothing within ${startTimeoutMs} ms of its start (call ready() from the worker once it runs)`,
        );
      });
    }, startTimeoutMs);
    this.startTimer.unref();
  }

  /** The worker posted something (not a heartbeat): it started. */
  message(): void {
    if (this.started) return;
    this.started = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
  }

  /** A heartbeat arrived. The first one arms the hang check. */
  beat(): void {
    this.lastBeatAt = this.now();
    if (this.checkTimer || this.stopped) return;
    this.checkTimer = setInterval(
      () => setImmediate(() => this.check()),
      Math.min(this.times.heartbeatIntervalMs, this.times.hangTimeoutMs / 2),
    );
    this.checkTimer.unref();
  }

  /** The run ended: no more verdicts. */
  stop(): void {
    this.stopped = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.startTimer = this.checkTimer = null;
  }

  private check(): void {
    // Before the start, the start deadline decides.
    if (this.stopped || !this.started) return;
    const silentMs = this.now() - this.lastBeatAt;
    if (silentMs <= this.times.hangTimeoutMs) return;
    this.stop();
    this.trip(
      'hung',
      `it sent no heartbeat for ${silentMs} ms (every ${this.times.heartbeatIntervalMs} ms expected, hangTimeoutMs ${this.times.hangTimeoutMs}): its event loop is blocked`,
    );
  }
}
