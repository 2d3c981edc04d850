import type { Logger } from '@nestjs/common';
import type { EventBusService } from '../../bus/event-bus.service.js';
import { BoundedQueue } from '../../core/bounded-queue.js';
import type { ParentToWorkerMessage } from '../../protocol/worker-messages.js';
import type { MonitorStats } from './monitor.types.js';
import type { WorkerLimits } from '../limits/source-limits.js';
import { ThrottledLog } from './throttled-log.js';
import {
  WorkerInbox,
  type InboxLimits,
  type InboxSink,
} from './worker-inbox.js';
import type { CheckedBatch, CheckedEvent } from './worker-message-check.js';

/** Drops in the worker are logged at most this often, with the count since. */
const DROP_WARNING_INTERVAL_MS = 10_000;

/** What the relay counts (the restarts are the supervisor's). */
export type RelayStats = Omit<MonitorStats, 'restarts'>;

/** The relay's bounds. */
export interface RelayLimits extends InboxLimits {
  /** Most plain events waiting in the parent; past it the oldest are dropped. */
  readonly maxPending: number;
}

/**
 * Carries what workers post into the bus: batches the worker helper encoded
 * (acknowledged once in the bus, so the port holds at most one), plain
 * events (queued here, bounded, and relayed in the same batches, one at a
 * time), and log lines. Bad events and malformed messages are counted and
 * logged (rate-limited), never thrown; nothing a worker sends can stop the
 * relay, and nothing it sends disappears without a count.
 */
export class WorkerRelay implements InboxSink {
  private readonly counters: RelayStats = {
    relayed: 0,
    refusedByPolicy: 0,
    batches: 0,
    invalid: 0,
    afterClose: 0,
    unavailable: 0,
    droppedInWorker: 0,
    malformed: 0,
    rawDropped: 0,
    overBudget: 0,
  };
  private readonly lines: ThrottledLog;
  private readonly raw: BoundedQueue<unknown>;
  private draining = false;
  private dropsNotLogged = 0;
  private lastDropWarningAt = -Infinity;

  constructor(
    private readonly bus: EventBusService,
    logger: Logger,
    private readonly limits: RelayLimits,
    /** What the worker may publish and how fast, or `null` for no policy. */
    private readonly policy: WorkerLimits | null = null,
  ) {
    this.lines = new ThrottledLog(logger);
    this.raw = new BoundedQueue(limits.maxPending);
  }

  stats(): RelayStats {
    return { ...this.counters };
  }

  /** The door of a new worker run; `reply` posts to that worker. */
  open(reply: (message: ParentToWorkerMessage) => void): WorkerInbox {
    return new WorkerInbox(this, reply, this.limits);
  }

  /**
   * Publishes a checked batch; resolves once it is in the bus, with how
   * long to hold its ack (the worker is over its `eventsPerSecond`: the
   * helper sends its next batch only then).
   */
  relayBatch(batch: CheckedBatch): Promise<number> {
    this.counters.batches++;
    this.noteDroppedInWorker(batch.dropped);
    const accepted: CheckedEvent[] = [];
    for (const event of batch.events) {
      if (typeof event === 'string') this.refused(event);
      else accepted.push(event);
    }
    return this.publish(accepted, true).catch((error: Error) => {
      this.relayFailed(error);
      return 0;
    });
  }

  /**
   * Queues a plain event posted without the helper. It is
   * relayed with the ones posted meanwhile, in batches of the helper's
   * size, one in the bus at a time; past `maxPending` waiting the oldest
   * is dropped (counted in `rawDropped`).
   */
  enqueueRaw(event: unknown): void {
    if (this.raw.isFull) {
      this.raw.shift();
      this.counters.rawDropped++;
      this.lines.warn(
        'raw-dropped',
        `a worker posted plain events faster than the bus took them: the oldest were dropped (use publish() from nestjs-livebus/worker and honour its backpressure)`,
      );
    }
    this.raw.push(event);
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drainRaw());
  }

  /** A protocol message refused whole. */
  malformed(problem: string): void {
    this.counters.malformed++;
    this.lines.warn(
      'malformed',
      `a worker sent a malformed message: ${problem}`,
    );
  }

  /** A message discarded because its worker went over its budget. */
  overBudget(): void {
    this.counters.overBudget++;
  }

  /** A log line the worker sent, already cut and cleaned. */
  workerLog(level: 'warn' | 'info', message: string): void {
    if (level === 'warn') this.lines.warn('worker-log', `worker: ${message}`);
    else this.lines.log('worker-log', `worker: ${message}`);
  }

  private async drainRaw(): Promise<void> {
    try {
      while (this.raw.length > 0) {
        const events = this.raw.take(this.limits.maxBatch);
        await this.publish(events, false).catch(this.relayFailed);
        // Let sockets and timers run between two batches.
        if (this.raw.length > 0) {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private refused(problem: string): void {
    this.counters.invalid++;
    this.lines.warn(
      'refused',
      `a worker sent an event the bus refused: ${problem}`,
    );
  }

  // A subscriber's callback that threw while an event was delivered: said,
  // and the relay goes on.
  private readonly relayFailed = (error: Error): void => {
    this.lines.warn(
      'failed',
      `relaying worker events failed: ${error.message}`,
    );
  };

  /**
   * Resolves once the events are in the bus, or refused by it (or by the
   * worker's policy), with how long to hold a batch's ack.
   */
  private async publish(
    given: readonly unknown[],
    preEncoded: boolean,
  ): Promise<number> {
    if (given.length === 0) return 0;
    if (this.bus.isClosed) {
      this.counters.afterClose += given.length;
      return 0;
    }
    const events = this.admitted(given, preEncoded);
    if (events.length === 0) return 0;
    // A helper's events carry their idempotency ids (checked with the batch).
    const ids = preEncoded
      ? events.map((event) => (event as CheckedEvent).id ?? null)
      : undefined;
    const { accepted, refused, appended } = this.bus.publishFromWorker(
      events,
      preEncoded,
      ids?.some((id) => id !== null) ? ids : undefined,
    );
    const holdMs = preEncoded ? (this.policy?.charge(accepted) ?? 0) : 0;
    this.counters.relayed += accepted;
    for (const error of refused) this.refused(error.message);
    try {
      await appended;
    } catch (error) {
      // The shared transport is down: counted and said, never thrown.
      this.counters.relayed -= accepted;
      this.counters.unavailable += accepted;
      this.lines.warn(
        'unavailable',
        `worker events not published: ${(error as Error).message}`,
      );
    }
    return holdMs;
  }

  /** The events the worker's policy lets through (a plain event also within its rate). */
  private admitted(
    events: readonly unknown[],
    preEncoded: boolean,
  ): readonly unknown[] {
    if (!this.policy) return events;
    let candidates = events;
    if (!preEncoded) {
      candidates = events.filter(() => this.policy!.takePlain());
      const over = events.length - candidates.length;
      if (over > 0) {
        this.refusedByPolicy(
          over,
          'a plain postMessage event over worker.eventsPerSecond was dropped (publish through nestjs-livebus/worker to be held back instead)',
        );
      }
    }
    const { kept, refused } = this.policy.admit(candidates, preEncoded);
    if (refused.length > 0) {
      this.refusedByPolicy(refused.length, refused[0].message);
    }
    return kept;
  }

  private refusedByPolicy(count: number, example: string): void {
    this.counters.refusedByPolicy += count;
    this.lines.warn(
      'policy',
      `the worker's policy refused ${count} event(s), e.g. ${example}`,
    );
  }

  private noteDroppedInWorker(dropped: number): void {
    if (dropped === 0) return;
    this.counters.droppedInWorker += dropped;
    this.dropsNotLogged += dropped;
    const now = Date.now();
    if (now - this.lastDropWarningAt < DROP_WARNING_INTERVAL_MS) return;
    this.lines.warn(
      'dropped',
      `the worker published faster than the bus could take: it dropped its ${this.dropsNotLogged} oldest events (publish() returns false when it is ahead; await drained() then)`,
    );
    this.dropsNotLogged = 0;
    this.lastDropWarningAt = now;
  }
}
