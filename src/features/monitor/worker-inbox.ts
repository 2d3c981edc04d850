import {
  isWorkerProtocolMessage,
  type ParentToWorkerMessage,
} from '../../protocol/worker-messages.js';
import {
  checkWorkerMessage,
  type CheckedBatch,
  type WorkerMessageLimits,
} from './worker-message-check.js';

/** Where an inbox hands what it read (the relay). */
export interface InboxSink {
  /** A plain event posted without the helper. */
  enqueueRaw(event: unknown): void;
  /** A batch in its turn; resolves once it is in the bus. */
  /** Resolves with how long to hold the ack (the worker's rate), in ms. */
  relayBatch(batch: CheckedBatch): Promise<number>;
  /** A protocol message refused whole. */
  malformed(problem: string): void;
  /** A message discarded because the worker went over its budget. */
  overBudget(): void;
  /** A log line of the worker, already cut and cleaned. */
  workerLog(level: 'warn' | 'info', message: string): void;
}

/** What one message was, for the supervisor. */
export type Receipt =
  /** A heartbeat: the worker's event loop turns. */
  | 'beat'
  /** Anything else the worker sent (it has started). */
  | 'message'
  /** This message took the worker over its budget: stop it (`flooding`). */
  | 'flooding'
  /** Arrived after the worker went over its budget: counted, not read. */
  | 'discarded';

/** The bounds of one worker's messages. */
export interface InboxLimits extends WorkerMessageLimits {
  /** Most messages a second outside the helper's flow control. */
  readonly maxRawMessagesPerSecond: number;
}

/**
 * A token bucket: `perSecond` tokens a second, at most `perSecond` held.
 * A worker may burst up to a second's budget, then keep to the rate.
 */
class MessageBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond;
    this.at = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.at) * this.perSecond) / 1000,
    );
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The door of one worker run: every message it posts comes through here.
 * A batch sent in its turn (none in flight) is the helper's flow control:
 * it is relayed and acknowledged once in the bus, so the port holds at
 * most one. Everything else (plain `postMessage` events, logs, batches out
 * of turn, heartbeats) spends the run's message budget; the message that
 * goes over it is the last one read: the supervisor stops the worker, and
 * what it had already queued in the port is counted and dropped unread
 * (a port has no backpressure: its queue is delivered whatever happens).
 */
export class WorkerInbox {
  private inFlight = false;
  private flooded = false;
  private readonly budget: MessageBudget;

  constructor(
    private readonly relay: InboxSink,
    private readonly reply: (message: ParentToWorkerMessage) => void,
    private readonly limits: InboxLimits,
    now: () => number = () => performance.now(),
  ) {
    this.budget = new MessageBudget(limits.maxRawMessagesPerSecond, now);
  }

  receive(message: unknown): Receipt {
    const inTurn =
      !this.inFlight &&
      isWorkerProtocolMessage(message) &&
      message.kind === 'livebus:batch';
    const over = this.spend(inTurn);
    if (over) return over;
    const checked = checkWorkerMessage(message, this.limits);
    switch (checked.kind) {
      case 'event':
        this.relay.enqueueRaw(checked.event);
        return 'message';
      case 'livebus:heartbeat':
        return 'beat';
      case 'livebus:ready':
        return 'message';
      case 'livebus:log':
        this.relay.workerLog(checked.level, checked.message);
        return 'message';
      case 'malformed':
        this.relay.malformed(checked.problem);
        // A refused batch in its turn is still answered, or the helper
        // would wait for good.
        if (inTurn) this.reply({ kind: 'livebus:ack' });
        return 'message';
      case 'livebus:batch':
        if (!inTurn) {
          this.relay.malformed(
            'batch: sent before the previous one was acknowledged',
          );
          return 'message';
        }
        this.inFlight = true;
        // The worker sends its next batch once this one is in the bus
        // (and, with Redis, stored). Always answered.
        void this.relay.relayBatch(checked).then((holdMs) => {
          const ack = (): void => {
            this.inFlight = false;
            this.reply({ kind: 'livebus:ack' });
          };
          // Over its eventsPerSecond: the next batch waits for the ack.
          if (holdMs > 0) setTimeout(ack, holdMs).unref();
          else ack();
        });
        return 'message';
    }
  }

  /** A message the port could not deserialize. */
  messageError(error: Error): Receipt {
    const over = this.spend(false);
    if (over) return over;
    this.relay.malformed(`could not be read: ${error.message}`);
    return 'message';
  }

  /** Takes one message from the budget (unless `free`); says when over it. */
  private spend(free: boolean): Receipt | null {
    if (this.flooded) {
      this.relay.overBudget();
      return 'discarded';
    }
    if (free || this.budget.take()) return null;
    this.flooded = true;
    this.relay.overBudget();
    return 'flooding';
  }
}
