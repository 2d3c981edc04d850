import type { Logger } from '@nestjs/common';
import type { EventBusService } from '../../bus/event-bus.service.js';
import {
  isWorkerProtocolMessage,
  type ParentToWorkerMessage,
} from '../../protocol/worker-messages.js';
import type { WorkerLimits } from '../limits/source-limits.js';
import type { MonitorStats } from './monitor.types.js';

/** Drops in the worker are logged at most this often, with the count since. */
const DROP_WARNING_INTERVAL_MS = 10_000;

/** What the relay counts (the restarts are the supervisor's). */
export type RelayStats = Omit<MonitorStats, 'restarts'>;

/**
 * Carries what a worker posts into the bus: batches the worker helper
 * encoded (acknowledged once in the bus, so the port holds at most one),
 * plain events, and log lines. Bad events are counted and logged, never
 * thrown; nothing a worker sends can stop the relay.
 */
export class WorkerRelay {
  private readonly counters: RelayStats = {
    relayed: 0,
    batches: 0,
    invalid: 0,
    refusedByPolicy: 0,
    afterClose: 0,
    unavailable: 0,
    droppedInWorker: 0,
  };
  private dropsNotLogged = 0;
  private lastDropWarningAt = -Infinity;
  private refusalsNotLogged = 0;
  private lastRefusalWarningAt = -Infinity;

  constructor(
    private readonly bus: EventBusService,
    private readonly logger: Logger,
    /** What the worker may publish and how fast, or `null` for no policy. */
    private readonly limits: WorkerLimits | null = null,
  ) {}

  stats(): RelayStats {
    return { ...this.counters };
  }

  relay(
    message: unknown,
    reply: (message: ParentToWorkerMessage) => void,
  ): void {
    if (!isWorkerProtocolMessage(message)) {
      // A plain event posted with parentPort.postMessage(event).
      void this.publishBatch([message], false).catch(this.relayFailed);
      return;
    }
    switch (message.kind) {
      case 'livebus:batch':
        this.counters.batches++;
        this.noteDroppedInWorker(message.dropped);
        // The worker sends its next batch once this one is in the bus (and,
        // with Redis, stored): the port never holds more than one. Always
        // answered, or the worker would wait for good.
        void this.publishBatch(message.events, true)
          .catch(this.relayFailed)
          .then((holdMs) => this.ackAfter(holdMs ?? 0, reply));
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

  /**
   * Acks a batch, after `holdMs` when the worker is over its
   * `eventsPerSecond`: the helper sends its next batch only then.
   */
  private ackAfter(
    holdMs: number,
    reply: (message: ParentToWorkerMessage) => void,
  ): void {
    if (holdMs <= 0) {
      reply({ kind: 'livebus:ack' });
      return;
    }
    setTimeout(() => reply({ kind: 'livebus:ack' }), holdMs).unref();
  }

  /**
   * Resolves once the events are in the bus, or refused by it, with how
   * long to hold the batch's ack (the worker's rate).
   */
  private async publishBatch(
    given: readonly unknown[],
    preEncoded: boolean,
  ): Promise<number> {
    if (this.bus.isClosed) {
      this.counters.afterClose += given.length;
      return 0;
    }
    const events = this.admitted(given, preEncoded);
    if (events.length === 0) return 0;
    const { accepted, refused, appended } = this.bus.publishFromWorker(
      events,
      preEncoded,
    );
    const holdMs = preEncoded ? (this.limits?.charge(accepted) ?? 0) : 0;
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
    return holdMs;
  }

  /** The events the worker's policy lets through (a plain event also within its rate). */
  private admitted(
    events: readonly unknown[],
    preEncoded: boolean,
  ): readonly unknown[] {
    if (!this.limits) return events;
    if (!preEncoded && !this.limits.takePlain()) {
      this.noteRefused(
        events.length,
        'a plain postMessage event over worker.eventsPerSecond was dropped (publish through nestjs-livebus/worker to be held back instead)',
      );
      return [];
    }
    const { kept, refused } = this.limits.admit(events, preEncoded);
    if (refused.length > 0)
      this.noteRefused(refused.length, refused[0].message);
    return kept;
  }

  /** Counts refused events; logs at most one line per interval, with the count since. */
  private noteRefused(count: number, example: string): void {
    this.counters.refusedByPolicy += count;
    this.refusalsNotLogged += count;
    const now = Date.now();
    if (now - this.lastRefusalWarningAt < DROP_WARNING_INTERVAL_MS) return;
    this.logger.warn(
      `the worker's policy refused ${this.refusalsNotLogged} event(s), e.g. ${example}`,
    );
    this.refusalsNotLogged = 0;
    this.lastRefusalWarningAt = now;
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
}
