import { assertPositive } from '../core/assert-option.js';
import { ACTIVITY_DEFAULTS } from './activity-defaults.js';
import {
  ProviderUnavailableError,
  type ActivityProvider,
  type ProviderState,
} from './activity-provider.js';

/** What the monitor is doing, as published in `status.state`. */
export type MonitorActivityState = 'idle' | 'collecting' | 'paused';

/** Published at start (`idle`) and after every poll. */
export interface ActivityStatusEvent {
  type: 'status';
  state: MonitorActivityState;
  /** The application the host is on, and since when (ISO time). */
  currentApp: string | null;
  currentSince: string | null;
  /** A different dominant application, not yet held for the threshold. */
  candidateApp: string | null;
  /** How long the candidate has held, in real elapsed ms. */
  candidateHeldMs: number;
  transitionThresholdMs: number;
  pollIntervalMs: number;
  /** Polls so far, paused ones included (the initial `idle` is not one). */
  pollCount: number;
  lastPollAt: string | null;
  uptimeMs: number;
  provider: { name: string } & ProviderState;
  /** Provider failures in a row (0 after a success). */
  failures: number;
  /** When the next poll is due, in ms from now. */
  nextPollInMs: number;
}

/** Published once, when the first dominant application is seen. */
export interface InitialAppEvent {
  type: 'initial_app';
  app: string;
  at: string;
}

/** Published when a new dominant application has held for the threshold. */
export interface TransitionEvent {
  type: 'transition';
  from: string;
  to: string;
  /** The block spent on `from`: from when it became current until `to` was first seen. */
  blockStart: string;
  blockEnd: string;
  /** How long `to` held before the transition fired, in ms. */
  heldMs: number;
  at: string;
}

export type ActivityEvent =
  ActivityStatusEvent | InitialAppEvent | TransitionEvent;

/** Options of {@link ActivityMonitor}. */
export interface ActivityMonitorOptions {
  provider: ActivityProvider;
  publish: (event: ActivityEvent) => void;
  /** Time between polls, in ms. @default 2000 */
  pollIntervalMs?: number;
  /** How long a new dominant application must hold before a transition fires, in ms. @default 6000 */
  transitionThresholdMs?: number;
  log?: (level: 'warn' | 'info', message: string) => void;
  /** The clock (a test may pass its own). @default Date.now */
  now?: () => number;
}

/** Longest wait after provider failures, in ms. */
export const MAX_BACKOFF_MS = 300_000;
/** Failures in a row after which the monitor warns. */
const WARN_AFTER_FAILURES = 3;

/**
 * Polls an {@link ActivityProvider} and turns what it sees into `status`,
 * `initial_app` and `transition` events. A new dominant application becomes
 * current only after it has held for `transitionThresholdMs` of real
 * elapsed time, so a brief switch does not count as a transition.
 * Framework-free: the activity worker runs it in a worker thread.
 */
export class ActivityMonitor {
  readonly pollIntervalMs: number;
  readonly transitionThresholdMs: number;
  private readonly provider: ActivityProvider;
  private readonly emit: (event: ActivityEvent) => void;
  private readonly log: (level: 'warn' | 'info', message: string) => void;
  private readonly now: () => number;

  private started = false;
  private stopped = false;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private pollCount = 0;
  private lastPollAt: number | null = null;
  private nextPollAt = 0;
  private failures = 0;

  private current: { app: string; since: number } | null = null;
  private candidate: { app: string; firstSeen: number; heldMs: number } | null =
    null;
  // When elapsed time last counted toward the candidate: the previous
  // observation, or the moment a pause ended.
  private countedUntil: number | null = null;

  constructor(options: ActivityMonitorOptions) {
    this.provider = options.provider;
    this.emit = options.publish;
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? Date.now;
    assertPositive('pollIntervalMs', options.pollIntervalMs, 'number');
    assertPositive(
      'transitionThresholdMs',
      options.transitionThresholdMs,
      'number',
    );
    this.pollIntervalMs =
      options.pollIntervalMs ?? ACTIVITY_DEFAULTS.pollIntervalMs;
    this.transitionThresholdMs =
      options.transitionThresholdMs ?? ACTIVITY_DEFAULTS.transitionThresholdMs;
    this.startedAt = this.now();
  }

  /** Publishes `status: idle`, polls at once, then every `pollIntervalMs`. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startedAt = this.now();
    this.publishStatus('idle');
    this.scheduleAt(this.startedAt);
  }

  /** Ends the loop; nothing more is published, even by a poll in flight. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Keeps polling (and counting polls) but observes and fires nothing. */
  pause(): void {
    this.paused = true;
  }

  /** Resumes observing; the paused time does not count toward a candidate. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.countedUntil = this.now();
  }

  /**
   * One poll: asks the provider, applies the transition rule and publishes
   * `status`. Returns the delay before the next poll, in ms. The loop calls
   * it; a test may call it directly with its own clock.
   */
  async poll(): Promise<number> {
    this.pollCount++;
    this.lastPollAt = this.now();
    if (this.paused) {
      this.publishStatus('paused', this.pollIntervalMs);
      return this.pollIntervalMs;
    }
    let app: string | null;
    try {
      app = await this.provider.sample();
    } catch (error) {
      const delay = this.onFailure(error as Error);
      this.publishStatus('collecting', delay);
      return delay;
    }
    if (this.stopped || this.paused) return this.pollIntervalMs;
    if (this.failures > 0) {
      if (this.failures >= WARN_AFTER_FAILURES) {
        this.log(
          'info',
          `activity provider '${this.provider.name}' recovered after ${this.failures} failures`,
        );
      }
      this.failures = 0;
    }
    this.observe(app, this.now());
    this.publishStatus('collecting', this.pollIntervalMs);
    return this.pollIntervalMs;
  }

  private scheduleAt(at: number): void {
    this.nextPollAt = at;
    this.timer = setTimeout(
      () => void this.loop(),
      Math.max(0, at - this.now()),
    );
  }

  private async loop(): Promise<void> {
    this.timer = null;
    const startedAt = this.now();
    const delay = await this.poll();
    // Counted from the poll's start, so a slow provider does not stretch
    // the interval.
    if (!this.stopped) this.scheduleAt(startedAt + delay);
  }

  private onFailure(error: Error): number {
    this.failures++;
    if (this.failures === WARN_AFTER_FAILURES) {
      this.log(
        'warn',
        `activity provider '${this.provider.name}' failed ${this.failures} times in a row: ${error.message}`,
      );
    }
    return error instanceof ProviderUnavailableError
      ? Math.min(this.pollIntervalMs * 2 ** this.failures, MAX_BACKOFF_MS)
      : this.pollIntervalMs;
  }

  /** The transition rule, with real elapsed time between observations. */
  private observe(app: string | null, at: number): void {
    const elapsed = this.countedUntil === null ? 0 : at - this.countedUntil;
    this.countedUntil = at;
    if (app === null) return;
    if (!this.current) {
      this.current = { app, since: at };
      this.emit({ type: 'initial_app', app, at: iso(at) });
      return;
    }
    if (app === this.current.app) {
      this.candidate = null; // flipped back: the switch did not hold
      return;
    }
    if (this.candidate?.app !== app) {
      this.candidate = { app, firstSeen: at, heldMs: 0 };
      return;
    }
    this.candidate.heldMs += elapsed;
    if (this.candidate.heldMs < this.transitionThresholdMs) return;
    const { firstSeen, heldMs } = this.candidate;
    this.emit({
      type: 'transition',
      from: this.current.app,
      to: app,
      blockStart: iso(this.current.since),
      blockEnd: iso(firstSeen),
      heldMs,
      at: iso(at),
    });
    this.current = { app, since: firstSeen };
    this.candidate = null;
  }

  private publishStatus(
    state: MonitorActivityState,
    nextPollInMs = this.nextPollAt - this.now(),
  ): void {
    if (this.stopped) return;
    const now = this.now();
    this.emit({
      type: 'status',
      state,
      currentApp: this.current?.app ?? null,
      currentSince: this.current ? iso(this.current.since) : null,
      candidateApp: this.candidate?.app ?? null,
      candidateHeldMs: this.candidate?.heldMs ?? 0,
      transitionThresholdMs: this.transitionThresholdMs,
      pollIntervalMs: this.pollIntervalMs,
      pollCount: this.pollCount,
      lastPollAt: this.lastPollAt === null ? null : iso(this.lastPollAt),
      uptimeMs: now - this.startedAt,
      provider: { name: this.provider.name, ...this.provider.state },
      failures: this.failures,
      nextPollInMs: Math.max(0, nextPollInMs),
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
